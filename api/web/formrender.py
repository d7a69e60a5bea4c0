"""Any task form from its JSON Schema: fields to render, and the posted form back to JSON.

Field names are the same paths as the validator's field errors (`vacancies[0].positions`), so
each server error lands next to its field. No form is written by hand: a new schema in
forms/schemas/ renders without code."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

LONG_TEXT = 400  # strings allowed to be longer than this get a text area


@dataclass
class Field:
    name: str  # the path, e.g. vacancies[0].positions
    label: str
    widget: str  # text | textarea | date | datetime | number | select | boolean | group | rows
    required: bool = False
    value: Any = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)  # group: its fields; rows: one group per row
    description: str | None = None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def fields_of(schema: dict, values: dict | None = None, rows: dict[str, int] | None = None,
              prefix: str = "") -> list[Field]:
    """The fields of an object schema, filled with `values` (the data as last posted)."""
    values = values or {}
    rows = rows or {}
    required = set(schema.get("required", []))
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        path = _join(prefix, name)
        found.append(_field(path, prop, name in required, values.get(name), rows))
    return found


def _field(path: str, prop: dict, required: bool, value: Any, rows: dict[str, int]) -> Field:
    label = prop.get("title") or path.rsplit(".", 1)[-1]
    kind = prop.get("type")
    base = Field(path, label, "text", required, value, description=prop.get("description"))
    if kind == "object":
        base.widget = "group"
        base.children = fields_of(prop, value if isinstance(value, dict) else {}, rows, path)
    elif kind == "array" and isinstance(prop.get("items"), dict):
        base.widget = "rows"
        existing = value if isinstance(value, list) else []
        count = max(rows.get(path, 0), len(existing), prop.get("minItems", 0), 1)
        count = min(count, prop.get("maxItems", 50))
        for index in range(count):
            item = existing[index] if index < len(existing) and isinstance(existing[index], dict) else {}
            base.children.append(Field(f"{path}[{index}]", f"{index + 1}", "group",
                                       children=fields_of(prop["items"], item, rows, f"{path}[{index}]")))
        base.attrs = {"max": prop.get("maxItems", 50)}
    elif "enum" in prop:
        base.widget = "select"
        labels = prop.get("x-kedja-labels") or prop["enum"]
        base.choices = [(str(v), str(text)) for v, text in zip(prop["enum"], labels, strict=False)]
    elif kind == "boolean":
        base.widget = "boolean"
    elif kind in ("integer", "number"):
        base.widget = "number"
        base.attrs = {key: prop[key] for key in ("minimum", "maximum") if key in prop}
        base.attrs["step"] = 1 if kind == "integer" else "any"
    elif prop.get("format") == "date":
        base.widget = "date"
    elif prop.get("format") == "date-time":  # a deadline: date and time (datetime-local)
        base.widget = "datetime"
        if isinstance(value, str) and len(value) == 10:  # a date alone (an older case): that day at 00:00
            base.value = f"{value}T00:00"
    else:
        base.widget = "textarea" if prop.get("maxLength", 0) > LONG_TEXT else "text"
        if "maxLength" in prop:
            base.attrs = {"maxlength": prop["maxLength"]}
    return base


def data_from_form(schema: dict, form: MultiDict, prefix: str = "") -> dict:
    """The posted form as JSON values of the schema's types. What is left empty is left out
    (so `required` names it); what does not convert is kept as text (so `type` names it)."""
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        path = _join(prefix, name)
        value = _value(path, prop, form)
        if value is not None:
            data[name] = value
    return data


def _value(path: str, prop: dict, form: MultiDict) -> Any:
    kind = prop.get("type")
    if kind == "object":
        inner = data_from_form(prop, form, path)
        return inner or None
    if kind == "array" and isinstance(prop.get("items"), dict):
        count = _int(form.get(f"{path}.__rows")) or 0
        items = [data_from_form(prop["items"], form, f"{path}[{i}]") for i in range(min(count, 500))]
        items = [item for item in items if item]  # an untouched row is not a row
        return items or None
    raw = form.get(path)
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind == "integer":
        number = _int(raw)
        return raw if number is None else number
    if kind == "number":  # a Swedish decimal comma is accepted; NaN and infinity are not numbers here
        try:
            number = int(raw) if raw.lstrip("-").isdecimal() else float(raw.replace(",", "."))
            return number if math.isfinite(number) else raw
        except (ValueError, OverflowError):  # 1e400 or a 400-digit integer: not a usable number
            return raw
    return raw


def _int(raw: str | None) -> int | None:
    """A whole number of a sane size (the database stores 64 bits), else None."""
    try:
        number = int(raw) if raw is not None and len(raw.strip()) <= 18 else None
    except ValueError:
        return None
    return number


def row_counts(form: MultiDict) -> dict[str, int]:
    """How many rows each list had on the posted page (to render it again the same)."""
    return {key[: -len(".__rows")]: _int(value) or 0 for key, value in form.items() if key.endswith(".__rows")}
