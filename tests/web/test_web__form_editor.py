"""The form editor for process owners: the list of forms, the preview (rendered as the task page
renders it), saving as a new deployed version with Swedish field errors, and who may use it."""
from __future__ import annotations

import json
import re

import pytest

FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Komplettering", "type": "object",
    "additionalProperties": False, "required": ["reason"],
    "properties": {
        "reason": {"type": "string", "title": "Motivering", "description": "Vad saknas?", "maxLength": 2000},
        "days": {"type": "integer", "title": "Antal dagar", "minimum": 1, "maximum": 30},
        "answer": {"type": "string", "title": "Svar", "enum": ["yes", "no"], "x-kedja-labels": ["Ja, helt", "Nej"]},
        "other": {"type": "string", "title": "Annat svar"},
    },
    "allOf": [{"if": {"properties": {"answer": {"const": "no"}}, "required": ["answer"]},
               "then": {"required": ["other"]}}],
}


@pytest.fixture
def owner(browser):
    user = browser("owner")
    user.get("/formular")
    user.json_headers = {"X-CSRFToken": user.token}
    return user


def post(user, path: str, body: dict, headers: dict | None = None):
    """POST JSON in the order written, as the editor sends it (the test client's `json=` sorts
    keys, and the order of a form's fields is part of the form)."""
    return user.client.post(path, data=json.dumps(body), content_type="application/json",
                            headers=user.json_headers if headers is None else headers)


def test_the_list_shows_every_form_with_version_source_and_who(owner, engine):
    from engine.commands import DeployForm

    engine.execute(DeployForm("komplettering", FORM, source="api", deployed_by="anna"))
    page = owner.get("/formular").get_data(as_text=True)
    row = re.search(r'<tr data-key="komplettering">(.*?)</tr>', page, re.S).group(1)
    assert "Komplettering" in row and ">1<" in row and "API" in row and "anna" in row
    initial = re.search(r'<tr data-key="identification">(.*?)</tr>', page, re.S).group(1)
    assert "Identifiering av deltagare" in initial and "Målgruppsprocessen" in initial  # used by a process
    assert 'href="/formular/nytt-formular"' in page
    listed = owner.get("/formular/lista.json").json["forms"]
    assert {"key": "komplettering", "title": "Komplettering", "version": 1,
            "url": "/formular/komplettering"} in listed


def test_the_preview_is_the_task_pages_form_and_tries_the_rules(owner):
    response = post(owner, "/formular/forhandsvisning", {"schema": FORM})
    assert response.status_code == 200 and response.json["problems"] == []
    html = response.json["html"]
    assert "<h2>Komplettering</h2>" in html
    assert re.search(r'<label for="f-reason">Motivering <span class="req"', html)  # required, as on a task
    assert '<textarea id="f-reason" name="reason"' in html  # a long text: a text area, as on a task
    assert "Vad saknas?" in html and ">Ja, helt</option>" in html
    assert html.index("f-reason") < html.index("f-days") < html.index("f-answer")  # the form's own order

    tried = post(owner, "/formular/forhandsvisning", {
        "schema": FORM, "check": True, "form": [["days", "99"], ["answer", "no"]]}).json
    assert {(e["field"], e["message"]) for e in tried["errors"]} == {
        ("reason", "Obligatoriskt fält"), ("days", "Högst 30"), ("other", "Obligatoriskt när ”Svar” är ”Nej”")}
    assert 'data-field="other">Obligatoriskt när ”Svar” är ”Nej”<' in tried["html"]
    assert 'value="99"' in tried["html"]  # what was typed stays

    broken = dict(FORM, properties={"x": {"type": "integer", "title": "", "minimum": 5, "maximum": 1}})
    answer = post(owner, "/formular/forhandsvisning", {"schema": broken}).json
    assert {(p["field"], p["message"]) for p in answer["problems"]} >= {
        ("x#title", "Ange en etikett"), ("x#maximum", "Får inte vara mindre än det minsta värdet")}


def test_saving_deploys_a_new_version_and_says_what_is_wrong_per_field(owner, engine):
    bad = {**FORM, "title": " ", "properties": {
        **FORM["properties"],
        "days": {"type": "integer", "title": "Antal dagar", "minimum": 1.5},
        "answer": {"type": "string", "title": "Svar", "enum": ["yes", "yes"], "x-kedja-labels": ["Ja", ""]},
        "rows": {"type": "array", "title": "Rader", "items": {"type": "object", "properties": {}}},
        "2x": {"type": "string", "title": "Fel namn"},
    }}
    response = post(owner, "/formular/komplettering", {"schema": bad})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = {(e["field"], e["message"]) for e in response.json["errors"]}
    assert errors == {
        ("#title", "Ange en rubrik"),
        ("days#minimum", "Ange ett heltal"),
        ("answer#enum", "Två val har samma värde: yes"),
        ("answer#enum", "Varje val behöver en etikett"),
        ("other#condition", "Värdet finns inte bland valen i ”Svar”"),  # its condition is answer = "no"
        ("rows#items", "En lista behöver minst ett fält på varje rad"),
        ("2x#name", "Namnet får bara ha bokstäver a–z, siffror och _ och inte börja med en siffra"),
    }
    assert engine.forms.versions("komplettering") == []  # nothing deployed

    response = post(owner, "/formular/Bad-Key", {"schema": FORM})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "#key"

    response = post(owner, "/formular/komplettering", {"schema": FORM})
    assert response.status_code == 201
    assert response.json == {"key": "komplettering", "version": 1, "created": True, "title": "Komplettering",
                             "url": "/formular/komplettering"}
    [version] = engine.forms.versions("komplettering")
    assert (version.source, version.deployed_by) == ("modeller", "owner")
    assert list(engine.forms.schema("komplettering")["properties"]) == ["reason", "days", "answer", "other"]
    again = post(owner, "/formular/komplettering", {"schema": FORM})
    assert again.status_code == 200 and again.json["created"] is False
    reordered = {**FORM, "properties": dict(reversed(list(FORM["properties"].items())))}
    moved = post(owner, "/formular/komplettering", {"schema": reordered})
    assert moved.status_code == 201 and moved.json["version"] == 2  # the order of the fields is the form's

    page = owner.get("/formular/komplettering?version=1").get_data(as_text=True)
    assert "Version 1 · driftsatt" in page and "Formulärredigeraren" in page
    assert owner.get("/formular/identification").status_code == 200  # an initial form, not deployed yet
    assert owner.get("/formular/finns_inte").status_code == 404
    assert owner.get("/formular/nytt-formular").status_code == 200


def test_only_process_owners_edit_forms(browser, owner):
    assert owner.client.post("/formular/komplettering", json={"schema": FORM}).status_code == 400  # no CSRF token
    for username in ("af", "admin"):
        user = browser(username)
        user.get("/uppfoljning")
        headers = {"X-CSRFToken": user.token}
        assert user.get("/formular").status_code == 403
        assert user.get("/formular/identification").status_code == 403
        assert user.client.post("/formular/forhandsvisning", json={"schema": FORM}, headers=headers).status_code == 403
        assert user.client.post("/formular/komplettering", json={"schema": FORM}, headers=headers).status_code == 403
    anonymous = browser()
    assert anonymous.get("/formular").status_code == 302
