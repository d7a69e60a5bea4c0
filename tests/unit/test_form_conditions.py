"""Conditional requirements in a form (a field required only when another has a value) are
reported like any missing field: a Swedish message on the field itself, naming the condition."""
from __future__ import annotations

import json

from forms import SCHEMAS_DIR, FieldError, validate

FORM = {
    "type": "object", "title": "Beslut",
    "properties": {
        "decision": {"type": "string", "title": "Beslut", "enum": ["yes", "no"],
                     "x-kedja-labels": ["Bifall", "Avslag"]},
        "reason": {"type": "string", "title": "Motivering"},
        "other": {"type": "string", "title": "Övrigt"},
        "note": {"type": "string", "title": "Kommentar"},
        "urgent": {"type": "boolean", "title": "Brådskande"},
    },
    "required": ["decision"],
    "dependentRequired": {"other": ["note"]},
    "allOf": [{"if": {"properties": {"decision": {"const": "no"}}, "required": ["decision"]},
               "then": {"required": ["reason"]}},
              {"if": {"properties": {"urgent": {"const": True}}, "required": ["urgent"]},
               "then": {"required": ["note"]}}],
}


def test_a_field_required_when_another_has_a_value_names_itself_and_the_condition():
    assert validate(FORM, {"decision": "yes"}) == []
    assert validate(FORM, {"decision": "no"}) == [FieldError("reason", "Obligatoriskt när ”Beslut” är ”Avslag”")]
    assert validate(FORM, {"decision": "yes", "other": "x"}) == [
        FieldError("note", "Obligatoriskt när ”Övrigt” är ifyllt")]
    assert validate(FORM, {"decision": "yes", "urgent": True}) == [
        FieldError("note", "Obligatoriskt när ”Brådskande” är ”Ja”")]
    assert validate(FORM, {"decision": "no", "reason": "för sent", "urgent": False}) == []


def test_in_a_list_row_the_field_path_names_the_row():
    rows = {"type": "object", "title": "Rader", "properties": {"rows": {"type": "array", "title": "Rader", "items": {
        "type": "object", "properties": {"a": {"type": "string", "title": "A"}, "b": {"type": "string", "title": "B"}},
        "dependentRequired": {"a": ["b"]}}}}}
    assert validate(rows, {"rows": [{"a": "1", "b": "2"}, {"a": "1"}]}) == [
        FieldError("rows[1].b", "Obligatoriskt när ”A” är ifyllt")]


def test_the_models_own_conditions_read_in_swedish():
    schema = json.loads((SCHEMAS_DIR / "placement_report.json").read_text(encoding="utf-8"))
    errors = validate(schema, {"outcome": "dropout"})
    assert {e.field for e in errors} == {"ended_on", "end_reason"}
    assert all(e.message.startswith("Obligatoriskt när ”Utfall” är ”") for e in errors)
    # Its `if` has no `required`, so it holds for an empty "Utfall" too: then nothing names a condition.
    assert {e.message for e in validate(schema, {})} == {"Obligatoriskt fält"}
