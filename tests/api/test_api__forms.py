"""Forms over the API: listed, read by version, deployed by process owners; a diagram pins
the form versions it uses, so a task keeps the form it opened with."""
from engine.commands import Actor, CompleteTask, Deploy, StartInstance
from engine.errors import InvalidInput

from ..helpers import scripted_bpmn

NEW_FORM = {"title": "Granska beräkningen", "type": "object", "required": ["approved"],
            "properties": {"approved": {"type": "boolean", "title": "Godkänd"}}}


def test_forms_are_listed_and_read_by_version(call):
    listed = call("GET", "/api/v1/forms", "af").get_json()
    assert {"award", "matching", "identification"} <= {form["key"] for form in listed}
    award = call("GET", "/api/v1/forms/award", "af").get_json()
    assert award["version"] == 1 and award["source"] == "file" and award["schema"]["title"]
    assert call("GET", "/api/v1/forms/award?version=9", "af").status_code == 404
    assert call("GET", "/api/v1/forms/nope", "af").status_code == 404


def test_a_process_owner_deploys_a_form_and_the_same_content_twice_is_a_no_op(call):
    first = call("PUT", "/api/v1/forms/calc_review", "owner", json=NEW_FORM)
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["version"], first.get_json()["deployed_by"]) == (1, "owner")
    again = call("PUT", "/api/v1/forms/calc_review", "owner", json=NEW_FORM)
    assert again.status_code == 200 and again.get_json()["version"] == 1
    changed = call("PUT", "/api/v1/forms/calc_review", "owner", json={**NEW_FORM, "title": "Granska"})
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    assert call("GET", "/api/v1/forms/calc_review?version=1", "owner").get_json()["schema"] == NEW_FORM
    assert call("PUT", "/api/v1/forms/calc_review", "af", json=NEW_FORM).status_code == 403


def test_a_form_that_cannot_be_deployed_gets_every_problem_and_writes_nothing(call):
    bad = {"type": "object", "properties": {"amount": {"type": "integer"}, "note": {"type": "nosuchtype"}}}
    response = call("PUT", "/api/v1/forms/broken", "owner", json=bad)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "not a valid JSON Schema" in response.get_json()["errors"][0]["message"]
    response = call("PUT", "/api/v1/forms/broken", "owner", json={"type": "object", "properties": {
        "amount": {"type": "integer"}}})
    messages = [e["message"] for e in response.get_json()["errors"]]
    assert any("title" in m for m in messages) and any("'amount' has no title" in m for m in messages)
    assert call("PUT", "/api/v1/forms/..%2Fetc", "owner", json=NEW_FORM).status_code in (404, 422)
    assert call("PUT", "/api/v1/forms/Bad-Key", "owner", json=NEW_FORM).status_code == 422
    assert call("GET", "/api/v1/forms/broken", "owner").status_code == 404


def test_a_task_keeps_the_form_version_it_opened_with(engine, call):
    call("PUT", "/api/v1/forms/calc_review", "owner", json=NEW_FORM)
    diagram = scripted_bpmn().replace('kedja:formKey="review"', 'kedja:formKey="calc_review"')
    engine.execute(Deploy((("scripted.bpmn", diagram),), source="api"))
    caseworker = Actor("af", "Arbetsförmedlingen")

    def open_review():
        started = engine.execute(StartInstance("scripted", {"case_id": "C-1", "amount": 70}))
        enter = engine.queries.instance(started.id)["open_tasks"][0]
        engine.execute(CompleteTask(enter.id, {"amount": 70}, caseworker))
        return engine.queries.instance(started.id)["open_tasks"][0]

    old_task = open_review()
    assert (old_task.form_key, old_task.form_version) == ("calc_review", 1)
    second = {**NEW_FORM, "required": ["approved", "comment"],
              "properties": {**NEW_FORM["properties"], "comment": {"type": "string", "title": "Kommentar"}}}
    call("PUT", "/api/v1/forms/calc_review", "owner", json=second)
    [redeployed] = engine.execute(Deploy((("scripted.bpmn", diagram),), source="api"))
    assert redeployed.created  # same XML, newer form: a new version that pins it
    new_task = open_review()
    assert new_task.form_version == 2

    engine.execute(CompleteTask(old_task.id, {"approved": True}, caseworker))  # the old form's rules
    try:
        engine.execute(CompleteTask(new_task.id, {"approved": True}, caseworker))
        raise AssertionError("the new form requires a comment")
    except InvalidInput as refused:
        assert [e.field for e in refused.fields] == ["comment"]
