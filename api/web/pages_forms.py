"""The form editor for process owners: the deployed forms, one form's fields edited over its
JSON Schema, a live preview rendered by the task page's own code (`formrender` and the
`render_field` macro), and saving as a new deployed version (`DeployForm`, source "modeller").

The editor sends the JSON Schema itself; what would keep it from being deployed comes back as
a 422 problem+json whose `errors` name the editor's inputs (`field#attribute`, e.g.
`reason#title`; `#title` is the form's heading) with a Swedish message. See docs/forms.md."""
from __future__ import annotations

import json
import math
import re

from flask import Blueprint, g, jsonify, render_template, request, url_for
from jinja2.utils import htmlsafe_json_dumps
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from werkzeug.datastructures import MultiDict

from engine import FORM_KEY, MAX_FORM_BYTES, DeployForm, DeploymentRejected, NotFound, canonical
from forms import validate, with_options

from ..auth import engine as _engine
from ..problems import problem
from .formrender import data_from_form, fields_of, row_counts
from .problem_texts import problem_swedish
from .session import login_required

bp = Blueprint("forms_editor", __name__, url_prefix="/formular")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")  # a field's name in the case's data
MAX_ROWS = 50  # the task page shows at most this many rows of a list
SOURCES = {"file": "Fil", "modeller": "Formulärredigeraren", "api": "API", "cli": "Kommandorad"}
NEW_FORM = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "", "type": "object",
            "additionalProperties": False, "required": [], "properties": {}}


def form_choices() -> list[dict]:
    """Every form a diagram may name, for pickers: key, title, latest version (None: an initial
    form not deployed yet)."""
    store = _engine().forms
    deployed = {form.key: form for form in store.latest()}
    choices = []
    for key in sorted(store.keys()):
        form = deployed.get(key)
        title = form.title if form else (store.initial_schema(key) or {}).get("title")
        choices.append({"key": key, "title": title or key, "version": form.version if form else None,
                        "url": url_for("forms_editor.edit", key=key)})
    return choices


def _used_by() -> dict[str, list[str]]:
    """Form key -> the names of the processes whose latest version names it."""
    used: dict[str, list[str]] = {}
    for definition in _engine().queries.latest_definitions():
        for key in sorted(set(re.findall(r'kedja:formKey="([^"]+)"', definition.bpmn_xml or ""))):
            used.setdefault(key, []).append(definition.name or definition.key)
    return used


@bp.get("")
@login_required("process_owner")
def index():
    store = _engine().forms
    deployed = {form.key: form for form in store.latest()}
    rows = [{"choice": choice, "form": deployed.get(choice["key"])} for choice in form_choices()]
    return render_template("forms_list.html", rows=rows, used=_used_by(), sources=SOURCES)


@bp.get("/lista.json")
@login_required("process_owner")
def choices():
    return jsonify({"forms": form_choices(), "new_url": url_for("forms_editor.new")})


@bp.get("/nytt-formular")
@login_required("process_owner")
def new():
    return _editor(None, dict(NEW_FORM), None)


@bp.get("/<key>")
@login_required("process_owner")
def edit(key):
    store = _engine().forms
    if not FORM_KEY.match(key):
        raise NotFound(f"no form '{key[:100]}'")
    wanted = request.args.get("version", "")
    version = int(wanted) if wanted.isdecimal() and len(wanted) < 10 else None
    schema = store.schema(key, version)
    if schema is None and version is None:
        schema = store.initial_schema(key)
    if schema is None:
        raise NotFound(f"no form '{key}'" + (f" version {version}" if version else ""))
    return _editor(key, schema, version)


def _editor(key: str | None, schema: dict, version: int | None):
    versions = _engine().forms.versions(key) if key else []
    shown = next((v for v in versions if v.version == version), versions[-1] if versions else None)
    # Not `|tojson`: Flask's sorts keys, and the order of a form's fields is part of the form.
    data = htmlsafe_json_dumps({"key": key, "schema": schema, "isNew": key is None}, dumps=json.dumps)
    return render_template("form_editor.html", key=key, schema=schema, versions=versions, shown=shown,
                           data=data, used=_used_by().get(key or "", []), sources=SOURCES)


# --- the preview --------------------------------------------------------------------------
@bp.post("/forhandsvisning")
@login_required("process_owner")
def preview():
    """The form as the task page renders it. {"schema": ..., "form": [[name, value], ...],
    "add_row": name, "check": true} -> {"html", "errors" (the sample's field errors when
    `check`), "problems" (what keeps the form from being deployed)}."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("schema"), dict):
        return problem(400, 'send {"schema": {...}}')
    schema = payload["schema"]
    problems = editor_problems(schema)
    pairs = payload.get("form") if isinstance(payload.get("form"), list) else []
    form = MultiDict([(str(p[0]), str(p[1])) for p in pairs[:2000]
                      if isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)])
    shown = with_options(schema, {})  # choices from the engine are filled when a task opens
    errors: list[dict] = []
    try:
        data = data_from_form(shown, form)
        rows = row_counts(form)
        if isinstance(payload.get("add_row"), str):
            rows[payload["add_row"]] = rows.get(payload["add_row"], 0) + 1
        if payload.get("check"):  # a sample tried against the rules, even before the form can be saved
            errors = [{"field": e.field, "message": e.message} for e in validate(shown, data)]
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error["field"], []).append(error["message"])
        html = render_template("_form_preview.html", schema=shown, fields=fields_of(shown, data, rows),
                               errors=by_field, checked=bool(payload.get("check")))
    except Exception as err:  # noqa: BLE001 - a schema half-way through editing: say so, keep editing
        html = render_template("_form_preview.html", broken=str(err))
    return jsonify({"html": html, "errors": errors, "problems": problems})


# --- saving = deploying a new version --------------------------------------------------------
@bp.post("/<key>")
@login_required("process_owner")
def save(key):
    payload = request.get_json(silent=True)
    schema = payload.get("schema") if isinstance(payload, dict) else None
    if not isinstance(schema, dict):
        return problem(400, 'send {"schema": {...}} (the form\'s JSON Schema)')
    errors = ([{"field": "#key", "message": "Nyckeln består av små bokstäver a–z, siffror och _ "
                                            "och börjar med en bokstav (högst 100 tecken)"}]
              if not FORM_KEY.match(key) else [])
    errors += editor_problems(schema)
    if errors:
        return problem(422, "Formuläret kan inte driftsättas", errors=errors)
    try:
        deployed, created = _engine().execute(DeployForm(key, schema, source="modeller",
                                                         deployed_by=g.account.username))
    except DeploymentRejected as rejected:  # a rule the editor's own check does not know
        return problem(422, "Formuläret kan inte driftsättas",
                       errors=[{"field": "(formuläret)", "message": problem_swedish(p.message), "message_en": p.message}
                               for p in rejected.problems])
    body = {"key": deployed.key, "version": deployed.version, "created": created, "title": deployed.title,
            "url": url_for("forms_editor.edit", key=deployed.key)}
    return jsonify(body), 201 if created else 200


def editor_problems(schema: dict) -> list[dict]:
    """What keeps `schema` from being deployed as a form, in Swedish, each naming the editor's
    input: `#title`, `#fields`, `name#attribute` (`rows.name#attribute` in a list's rows) or
    `(formuläret)`. Empty when the engine will take it."""
    found: list[dict] = []

    def say(field: str, message: str) -> None:
        found.append({"field": field, "message": message})

    if len(canonical(schema).encode("utf-8")) > MAX_FORM_BYTES:
        say("(formuläret)", f"Formuläret är större än {MAX_FORM_BYTES // 1024} KiB")
        return found
    if not isinstance(schema.get("title"), str) or not schema["title"].strip():
        say("#title", "Ange en rubrik")
    if schema.get("type") != "object":
        say("(formuläret)", 'Ett formulär har "type": "object"')
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        say("#fields", "Lägg till minst ett fält")
    _object_problems(schema, "", say)
    if not found:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as err:
            where = "/".join(str(p) for p in err.absolute_path) or "roten"
            say("(formuläret)", f"Inte ett giltigt JSON Schema vid {where}: {err.message}")
    return found


def _object_problems(node: dict, prefix: str, say) -> None:
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    for name, prop in properties.items():
        path = f"{prefix}{name}"
        if not NAME.match(name):
            say(f"{path}#name", "Namnet får bara ha bokstäver a–z, siffror och _ och inte börja med en siffra")
        if not isinstance(prop, dict):
            say(path, "Fältet ska vara ett JSON-objekt")
            continue
        _field_problems(prop, path, prefix == "", say)
    required = node.get("required", [])
    if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
        say(prefix.rstrip(".") + "#required" if prefix else "(formuläret)", '"required" ska vara en lista med namn')
    else:
        for name in required:
            if name not in properties:
                say(f"{prefix}{name}", "Fältet är obligatoriskt men finns inte")
    _condition_problems(node, prefix, properties, say)


def _number(value, integer: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and (not integer or float(value).is_integer())


def _bounds(prop: dict, path: str, low: str, high: str, integer: bool, say, at_least: float | None = None) -> None:
    for keyword in (low, high):
        if keyword in prop:
            if not _number(prop[keyword], integer):
                say(f"{path}#{keyword}", "Ange ett heltal" if integer else "Ange ett tal")
            elif at_least is not None and prop[keyword] < at_least:
                say(f"{path}#{keyword}", f"Minst {at_least:g}")
    if _number(prop.get(low), integer) and _number(prop.get(high), integer) and prop[low] > prop[high]:
        say(f"{path}#{high}", "Får inte vara mindre än det minsta värdet")


def _field_problems(prop: dict, path: str, top: bool, say) -> None:
    if not isinstance(prop.get("title"), str) or not prop["title"].strip():
        say(f"{path}#title", "Ange en etikett")
    if "description" in prop and not isinstance(prop["description"], str):
        say(f"{path}#description", "Hjälptexten ska vara text")
    kind = prop.get("type")
    provided = prop.get("x-kedja-options") or prop.get("x-kedja-organisation")
    if "enum" in prop or (provided and kind == "string"):
        _choice_problems(prop, path, bool(provided), say)
    elif kind in ("integer", "number"):
        _bounds(prop, path, "minimum", "maximum", kind == "integer", say)
    elif kind == "string":
        _bounds(prop, path, "minLength", "maxLength", True, say, at_least=0)
    elif kind == "array":
        items = prop.get("items")
        _bounds(prop, path, "minItems", "maxItems", True, say, at_least=0)
        if _number(prop.get("maxItems"), True) and prop["maxItems"] > MAX_ROWS:
            say(f"{path}#maxItems", f"Högst {MAX_ROWS} rader")
        if not top:
            say(f"{path}#type", "En lista kan inte ligga i en annan lista")
        elif not isinstance(items, dict) or items.get("type") != "object" \
                or not isinstance(items.get("properties"), dict) or not items["properties"]:
            say(f"{path}#items", "En lista behöver minst ett fält på varje rad")
        else:
            _object_problems(items, f"{path}.", say)
    elif kind not in ("boolean", "object"):
        say(f"{path}#type", "Välj en typ")


def _choice_problems(prop: dict, path: str, provided: bool, say) -> None:
    if provided:
        return  # the choices come from the engine when the task opens
    values = prop.get("enum")
    labels = prop.get("x-kedja-labels", values)
    if not isinstance(values, list) or not values:
        say(f"{path}#enum", "Lägg till minst ett val")
        return
    if not all(isinstance(v, str) and v.strip() for v in values):
        say(f"{path}#enum", "Varje val behöver ett värde")
    elif len(set(values)) != len(values):
        twice = sorted({v for v in values if values.count(v) > 1})
        say(f"{path}#enum", "Två val har samma värde: " + ", ".join(twice))
    if not isinstance(labels, list) or len(labels) != len(values) \
            or not all(isinstance(label, str) and label.strip() for label in labels):
        say(f"{path}#enum", "Varje val behöver en etikett")


def _condition_problems(node: dict, prefix: str, properties: dict, say) -> None:
    """dependentRequired and if/then on one field's value (at the top or in allOf)."""
    dependent = node.get("dependentRequired", {})
    if not isinstance(dependent, dict):
        say("(formuläret)", '"dependentRequired" ska vara ett objekt')
        dependent = {}
    for given, names in dependent.items():
        for name in names if isinstance(names, list) else []:
            _one_condition(prefix, properties, given, None, name, say)
    conditions = [node] + [entry for entry in node.get("allOf", []) if isinstance(entry, dict)] \
        if isinstance(node.get("allOf", []), list) else [node]
    for entry in conditions:
        test, then = entry.get("if"), entry.get("then")
        if not isinstance(test, dict) or not isinstance(then, dict):
            continue
        tested = test.get("properties") if isinstance(test.get("properties"), dict) else {}
        for given, rule in tested.items():
            for name in then.get("required", []) if isinstance(then.get("required"), list) else []:
                _one_condition(prefix, properties, given, rule, name, say)


def _one_condition(prefix: str, properties: dict, given: str, rule, name: str, say) -> None:
    where = f"{prefix}{name}#condition"
    if name not in properties:
        say("(formuläret)", f"Villkoret gäller ett fält som inte finns: {name}")
    elif given == name:
        say(where, "Ett fält kan inte vara villkor för sig självt")
    elif given not in properties:
        say(where, f"Villkoret gäller ett fält som inte finns: {given}")
    elif isinstance(rule, dict) and "const" in rule:
        other = properties[given] if isinstance(properties[given], dict) else {}
        allowed = [True, False] if other.get("type") == "boolean" else other.get("enum")
        if isinstance(allowed, list) and rule["const"] not in allowed:
            say(where, f"Värdet finns inte bland valen i \u201d{other.get('title') or given}\u201d")
