"""Forms: one JSON Schema per user-task form key (in `schemas/`), and their validation.

Titles are Swedish (the user interface's language); error messages too, each naming its
field (`vacancies[0].positions`). A property marked `"x-kedja-options": "<provider>"` gets its
choices at read time (e.g. the open vacancies), through `with_options`.

A `"format": "date-time"` field (a deadline: a date and a time) takes the city's wall time as a
datetime-local input sends it (`2026-03-01T14:00`, seconds and a zone optional) and, from older
cases and clients, a date alone (that day at 00:00), as the diagrams' timers read it.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
# A date, or a date and a time (minutes, optional seconds and fraction, optional zone).
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)?)?$")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    """A deadline: what a timer reads (datetime.fromisoformat); a date alone means 00:00."""
    if not isinstance(value, str):
        return True
    if not DATE_TIME.match(value):
        return False
    datetime.fromisoformat(value)  # 2026-02-30 raises: the field's error
    return True


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class FormRegistry:
    """The schemas of one folder, read once."""

    def __init__(self, directory: Path | str = SCHEMAS_DIR) -> None:
        self.directory = Path(directory)

    def keys(self) -> set[str]:
        return {path.stem for path in self.directory.glob("*.json")}

    def schema(self, key: str | None) -> dict | None:
        if not key:
            return None
        return copy.deepcopy(_load(str(self.directory / f"{key}.json")))


class InitialForms:
    """The initial forms: the model's own (`schemas/`), overlaid by a folder of one's own."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.registries = ([FormRegistry(directory)] if directory else []) + [FormRegistry(SCHEMAS_DIR)]
        self.directory = ", ".join(str(r.directory) for r in self.registries)

    def keys(self) -> set[str]:
        return set().union(*(registry.keys() for registry in self.registries))

    def schema(self, key: str | None) -> dict | None:
        for registry in self.registries:
            if (schema := registry.schema(key)) is not None:
                return schema
        return None


@lru_cache(maxsize=256)
def _load(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            schema = json.load(handle)
    except FileNotFoundError:
        return None
    Draft202012Validator.check_schema(schema)
    return schema


def _provider(prop: dict) -> str | None:
    """Where a property's choices come from: `x-kedja-options`, or `x-kedja-organisation` naming
    an organisation kind (the organisations of that kind; "account" is the caller's own)."""
    if provider := prop.get("x-kedja-options"):
        return provider
    kind = prop.get("x-kedja-organisation")
    return f"organisations:{kind}" if kind and kind != "account" else None


def account_fields(schema: dict) -> list[str]:
    """Top-level fields whose value is the caller's own organisation, whatever was sent."""
    return [name for name, prop in (schema.get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get("x-kedja-organisation") == "account"]


def option_providers(schema: dict) -> set[str]:
    """The option providers a schema asks for."""
    return {provider for prop in _properties(schema) if (provider := _provider(prop))}


def with_options(schema: dict, options: dict[str, list[tuple[str, str]]]) -> dict:
    """Fill `enum` (and Swedish labels) of the properties whose choices come from the engine."""
    filled = copy.deepcopy(schema)
    for prop in _properties(filled):
        provider = _provider(prop)
        if provider is not None:
            choices = options.get(provider, [])
            prop["enum"] = [value for value, _label in choices]
            prop["x-kedja-labels"] = [label for _value, label in choices]
            if not choices and prop.get("x-kedja-none"):  # say why there is nothing to choose
                prop["description"] = prop["x-kedja-none"]
    return filled


def _properties(schema: dict):
    stack = [schema]
    while stack:
        node = stack.pop()
        for prop in (node.get("properties") or {}).values():
            yield prop
            stack.append(prop)
        if isinstance(node.get("items"), dict):
            stack.append(node["items"])


def validate(schema: dict, data) -> list[FieldError]:
    """Every problem with `data`, each naming its field; empty when the data is valid."""
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        for field_error in _field_errors(error, schema):
            if field_error not in errors:  # `required` reports once per missing name, each naming all
                errors.append(field_error)
    for field_error in _order_errors(schema, data, []):
        if field_error not in errors:
            errors.append(field_error)
    return errors


def _order_errors(schema: dict, data, path: list) -> list[FieldError]:
    """Cross-field rules: `"x-kedja-after": {"end": "start"}` on an object means `end` may not
    come before `start` (dates as ÅÅÅÅ-MM-DD, dates and times, or numbers; a date beside a date
    and a time is compared by the day); checked in list rows too."""
    errors = []
    if isinstance(data, dict) and isinstance(schema, dict):
        props = schema.get("properties") or {}
        for later, earlier in (schema.get("x-kedja-after") or {}).items():
            first, second = data.get(earlier), data.get(later)
            if (isinstance(first, str) and isinstance(second, str) and len(first) != len(second)
                    and DATE_TIME.match(first) and DATE_TIME.match(second)):
                first, second = first[:10], second[:10]  # a date and a date-time: by the day
            comparable = isinstance(first, (int, float)) and isinstance(second, (int, float)) or (
                isinstance(first, str) and isinstance(second, str) and len(first) == len(second))
            if first is not None and second is not None and comparable and second < first:
                title = (props.get(earlier) or {}).get("title", earlier)
                errors.append(FieldError(_path(path + [later]), f"Får inte vara före {title.lower()}"))
        for name, prop in props.items():
            errors.extend(_order_errors(prop, data.get(name), path + [name]))
    elif isinstance(data, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(data):
            errors.extend(_order_errors(schema["items"], item, path + [index]))
    return errors


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _field_errors(error, schema) -> list[FieldError]:
    base = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        message = _condition(error, schema) or "Obligatoriskt fält"
        return [FieldError(_path(base + [name]), message) for name in missing]
    if kind == "dependentRequired":  # {"a": ["b"]}: b is required when a has a value
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [FieldError(_path(base + [name]), f"Obligatoriskt när {_quoted(_title(error.schema, given))} är ifyllt")
                for given, names in error.validator_value.items() if given in instance
                for name in names if name not in instance]
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [FieldError(_path(base + [name]), "Okänt fält") for name in error.instance if name not in known]
    field = _path(base) or "(formuläret)"
    return [FieldError(field, _message(error))]


def _title(node: dict, name: str) -> str:
    prop = (node.get("properties") or {}).get(name)
    return (prop.get("title") if isinstance(prop, dict) else None) or name


def _quoted(text) -> str:
    return f"\u201d{text}\u201d"


def _condition(error, schema) -> str | None:
    """'Obligatoriskt när ”Utfall” är ”Avbrott”' for a `required` under an if/then whose `if`
    is one field's value (or its being filled in); None for any other `required`."""
    path = list(error.absolute_schema_path)
    if len(path) < 2 or path[-2] != "then":
        return None
    nodes = [schema]
    for part in path[:-2]:
        try:
            nodes.append(nodes[-1][part])
        except (KeyError, IndexError, TypeError):
            return None
    condition = nodes[-1].get("if") if isinstance(nodes[-1], dict) else None
    if not isinstance(condition, dict):
        return None
    tested = dict(condition.get("properties") or {})
    named = [name for name in condition.get("required") or [] if name not in tested]
    if len(tested) + len(named) != 1:
        return None
    # The field's title and labels: from the nearest object schema on the way that has the field.
    name = next(iter(tested), None) or named[0]
    if not isinstance(error.instance, dict) or name not in error.instance:
        return None  # an `if` without `required` holds for an empty field: no condition to name
    owner = next((n for n in reversed(nodes) if isinstance(n, dict) and name in (n.get("properties") or {})), {})
    title = _quoted(_title(owner, name))
    if named:
        return f"Obligatoriskt när {title} är ifyllt"
    test = tested[name] if isinstance(tested[name], dict) else {}
    prop = (owner.get("properties") or {}).get(name) or {}
    values = [test["const"]] if "const" in test else test.get("enum")
    if not isinstance(values, list) or not values:
        return None
    return f"Obligatoriskt när {title} är " + " eller ".join(_quoted(_label(prop, v)) for v in values)


def _label(prop: dict, value) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    labels = prop.get("x-kedja-labels") or []
    enum = prop.get("enum") or []
    for known, label in zip(enum, labels, strict=False):
        if known == value:
            return str(label)
    return str(value)


def _message(error) -> str:
    value = error.validator_value
    kind = error.validator
    if kind == "enum":
        labels = error.schema.get("x-kedja-labels") or value
        return "Välj ett av: " + ", ".join(str(label) for label in labels) if value else "Det finns inget att välja"
    if kind == "type":
        names = {"string": "text", "integer": "ett heltal", "number": "ett tal", "boolean": "ja eller nej",
                 "array": "en lista", "object": "ett objekt"}
        wanted = value if isinstance(value, list) else [value]
        return "Ska vara " + " eller ".join(names.get(v, v) for v in wanted)
    if kind == "format" and value == "date":
        return "Ange ett datum (ÅÅÅÅ-MM-DD)"
    if kind == "format" and value == "date-time":
        return "Ange datum och tid (ÅÅÅÅ-MM-DD TT:MM)"
    messages = {
        "minimum": f"Minst {value}", "maximum": f"Högst {value}", "minLength": "Får inte vara tomt",
        "maxLength": f"Högst {value} tecken", "minItems": f"Minst {value} rad(er)", "maxItems": f"Högst {value} rader",
        "const": f"Ska vara {value}",
    }
    return messages.get(kind, error.message)
