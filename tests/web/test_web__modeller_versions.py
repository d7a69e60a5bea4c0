"""The modeller's version tools: the version list as JSON (read again after a deploy), the
differences between two versions or a version and the diagram in the editor, moving a version's
cases to a newer one (a dry run first), and the form picker's forms."""
from __future__ import annotations

import json
import re

import pytest

from engine.commands import Deploy, StartInstance

from ..helpers import fixture_bytes

INTYG = fixture_bytes("intyg.bpmn").decode("utf-8")
RENAMED = INTYG.replace('name="Utred ansökan"', 'name="Utred ansökan noga"')
# The task made anew under another id.
RENUMBERED = INTYG.replace('"handle"', '"utred"').replace(">handle<", ">utred<")
# The task the cases stand at is gone: they cannot move to this version.
WITHOUT_HANDLE = re.sub(r'<bpmndi:BPMN(Shape|Edge) id="(handle|f2)_di".*?</bpmndi:BPMN(Shape|Edge)>', "", re.sub(
    r'\s*<bpmn:(userTask id="handle"|sequenceFlow id="f2")[^>]*/>|\s*<bpmn:flowNodeRef>handle</bpmn:flowNodeRef>', "",
    INTYG), flags=re.S).replace('targetRef="handle"', 'targetRef="end"')


@pytest.fixture
def owner(browser, engine):
    engine.execute(Deploy((("intyg.bpmn", INTYG),), source="file"))
    user = browser("owner")
    user.get("/modeller?process=intyg")
    user.headers = {"X-CSRFToken": user.token}
    return user


def ids(engine, key="intyg"):
    return {d.version: d.id for d in engine.queries.definitions() if d.key == key}


def test_the_version_list_and_the_form_picker(owner, engine):
    engine.execute(StartInstance("intyg", {}, business_key="I-1"))
    page = owner.get("/modeller?process=intyg").get_data(as_text=True)
    picker = json.loads(page.split('<script type="application/json" id="form-list">')[1].split("</script>")[0])
    assert {"key": "assessment", "title": "Utredning och bedömning", "version": 1,
            "url": "/formular/assessment"} in picker["forms"]
    assert picker["new_url"] == "/formular/nytt-formular"
    assert 'id="migrate-section" hidden' in page  # one version: nothing to move yet

    engine.execute(Deploy((("intyg.bpmn", RENAMED),), source="modeller", deployed_by="owner"))
    listed = owner.get("/modeller/processes/intyg/versions").json
    assert listed["name"] == "Intygsprocessen"
    assert [(v["version"], v["running"], v["deployed_by"]) for v in listed["versions"]] == [
        (2, 0, "owner"), (1, 1, None)]
    assert listed["versions"][0]["url"] == "/modeller?process=intyg&version=2"
    assert owner.get("/modeller/processes/finns_inte/versions").status_code == 404


def test_differences_between_versions_and_with_the_editors_diagram(owner, engine):
    engine.execute(Deploy((("intyg.bpmn", RENAMED),)))
    version = ids(engine)
    body = owner.client.post("/modeller/diff", json={"from": version[1], "to": version[2]}, headers=owner.headers).json
    assert body["added"] == [] and body["removed"] == []
    assert body["changed"] == [{"id": "handle", "type": "userTask", "type_label": "Användaruppgift",
                                "name": "Utred ansökan noga",
                                "changes": ["namn: ”Utred ansökan” → ”Utred ansökan noga”"]}]

    edited = RENUMBERED.replace('kedja:formKey="assessment"', 'kedja:formKey="review"')
    body = owner.client.post("/modeller/diff", json={"from": version[1], "xml": edited}, headers=owner.headers).json
    assert [(e["id"], e["type_label"], e["name"]) for e in body["added"]] == [("utred", "Användaruppgift",
                                                                             "Utred ansökan")]
    assert [e["id"] for e in body["removed"]] == ["handle"]
    changed = {e["id"]: e["changes"] for e in body["changed"]}
    assert changed["f1"] == ["till: ”Utred ansökan” (handle) → ”Utred ansökan” (utred)"]
    assert changed["lane_af"] == ["elementen i banan ändrat"]
    assert "handle_di" not in str(body)  # the layout is not a change

    response = owner.client.post("/modeller/diff", json={"from": version[1], "xml": "<nope"}, headers=owner.headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert owner.client.post("/modeller/diff", json={"xml": INTYG}, headers=owner.headers).status_code == 400
    assert owner.client.post("/modeller/diff", json={"from": 999999, "to": version[1]},
                             headers=owner.headers).status_code == 404


def test_moving_a_versions_cases_is_checked_first_and_says_why_not(owner, engine, browser):
    cases = [engine.execute(StartInstance("intyg", {}, business_key=f"I-{n}")).id for n in (1, 2)]
    engine.execute(Deploy((("intyg.bpmn", WITHOUT_HANDLE),)))
    engine.execute(Deploy((("intyg.bpmn", RENAMED),)))

    def move(to, dry_run=True, user=owner):
        return user.client.post("/modeller/migrate", json={"process": "intyg", "from": 1, "to": to,
                                                           "dry_run": dry_run}, headers=user.headers)

    refused = move(2).json["cases"]
    assert {(c["business_key"], c["ok"]) for c in refused} == {("I-1", False), ("I-2", False)}
    assert refused[0]["reason_sv"] == ("Den nya versionen saknar steg som ärendet har passerat eller står vid: "
                                       "Utred ansökan.")
    assert refused[0]["reason"].startswith("the new version lacks elements")

    dry = move(3).json
    assert (dry["dry_run"], [c["ok"] for c in dry["cases"]]) == (True, [True, True])
    version = ids(engine)
    assert {engine.queries.instance(i)["instance"].definition_id for i in cases} == {version[1]}  # nothing moved
    done = move(3, dry_run=False).json
    assert (done["dry_run"], [c["ok"] for c in done["cases"]]) == (False, [True, True])
    assert {engine.queries.instance(i)["instance"].definition_id for i in cases} == {version[3]}

    assert owner.client.post("/modeller/migrate", json={"process": "intyg", "from": 3, "to": 1},
                             headers=owner.headers).status_code == 409
    assert owner.client.post("/modeller/migrate", json={"process": "intyg", "from": 1},
                             headers=owner.headers).status_code == 400
    admin = browser("admin")  # administrators move cases too; caseworkers do not
    admin.get("/uppfoljning")
    admin.headers = {"X-CSRFToken": admin.token}
    assert move(3, user=admin).status_code == 200
    caseworker = browser("af")
    caseworker.get("/uppfoljning")
    caseworker.headers = {"X-CSRFToken": caseworker.token}
    assert move(3, user=caseworker).status_code == 403
    assert caseworker.get("/modeller/processes/intyg/versions").status_code == 403
    assert caseworker.client.post("/modeller/diff", json={"from": version[1], "to": version[3]},
                                  headers=caseworker.headers).status_code == 403
