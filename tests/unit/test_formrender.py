"""Task forms from JSON Schema: the fields rendered, and the posted form back to typed JSON."""
from __future__ import annotations

import json

from werkzeug.datastructures import MultiDict

from api.web.formrender import data_from_form, fields_of, row_counts
from forms import SCHEMAS_DIR, validate


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_every_form_of_the_model_renders_without_code_of_its_own():
    for path in SCHEMAS_DIR.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        fields = fields_of(schema)
        assert {f.name for f in fields} == set(schema["properties"]), path.name
        assert all(f.widget in {"text", "textarea", "date", "datetime", "number", "select", "boolean", "group",
                                "rows"} for f in fields)


def test_enum_fields_offer_the_swedish_labels_and_required_fields_are_marked():
    fields = {f.name: f for f in fields_of(_schema("identification"))}
    assert fields["target_group"].widget == "select"
    assert ("young", "Unga") in fields["target_group"].choices
    assert fields["birth_year"].required and not fields["note"].required


def test_a_list_of_rows_is_named_like_the_validators_errors():
    fields = {f.name: f for f in fields_of(_schema("recruitment_need"), rows={"vacancies": 2})}
    rows = fields["vacancies"]
    assert rows.widget == "rows" and len(rows.children) == 2
    assert [c.name for c in rows.children[1].children][:2] == ["vacancies[1].title", "vacancies[1].profile"]


def test_posted_values_get_the_schemas_types_and_empty_rows_are_dropped():
    schema = _schema("recruitment_need")
    form = MultiDict({"vacancies.__rows": "3", "vacancies[0].title": "Lokalvårdare", "vacancies[0].positions": "2",
                      "vacancies[0].form": "employment", "vacancies[0].start_date": "2026-03-01",
                      "vacancies[2].title": "Parkarbetare", "vacancies[2].positions": "två"})
    data = data_from_form(schema, form)
    assert data == {"vacancies": [
        {"title": "Lokalvårdare", "positions": 2, "form": "employment", "start_date": "2026-03-01"},
        {"title": "Parkarbetare", "positions": "två"}]}
    errors = {e.field: e.message for e in validate(schema, data)}
    assert errors == {"vacancies[1].form": "Obligatoriskt fält", "vacancies[1].positions": "Ska vara ett heltal",
                      "vacancies[1].start_date": "Obligatoriskt fält"}
    assert row_counts(form) == {"vacancies": 3}


def test_booleans_numbers_and_blank_fields():
    schema = {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "share": {"type": "number"}, "count": {"type": "integer"},
        "note": {"type": "string"}}}
    assert data_from_form(schema, MultiDict({"ok": "false", "share": "0,75", "count": " 3 ", "note": "  "})) == {
        "ok": False, "share": 0.75, "count": 3}
    assert data_from_form(schema, MultiDict({"share": "nan"}))["share"] == "nan"  # left for the validator
    assert data_from_form(schema, MultiDict({"share": "inf"}))["share"] == "inf"


def test_a_deadline_takes_a_date_and_a_time():
    """format date-time: a datetime-local input; a date alone from an older case shows as 00:00."""
    schema = _schema("tender_publish")
    fields = {f.name: f for f in fields_of(schema, {"tender_deadline": "2026-02-01"})}
    assert fields["tender_deadline"].widget == "datetime" and fields["tender_deadline"].value == "2026-02-01T00:00"
    assert fields["published_on"].widget == "date"
    posted = data_from_form(schema, MultiDict({"published_on": "2026-01-05", "tender_deadline": "2026-02-01T14:00"}))
    assert posted == {"published_on": "2026-01-05", "tender_deadline": "2026-02-01T14:00"}
    assert validate(schema, posted) == []
