"""Completing a task with a list form through the page, and the modeller's check and deploy."""
from __future__ import annotations

import re

from ..scenarios.chain import PROCESSES
from .conftest import start_participant


def test_a_list_form_grows_row_by_row_and_completes(browser, engine):
    start_participant(engine, "P-1", "Arbetsförmedlingen")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    user = browser("af")
    user.get(f"/tasks/{task.id}")
    response = user.post(f"/tasks/{task.id}", {"target_group": "young", "gender": "woman", "birth_year": "1890"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-field="birth_year">Minst 1940<', page)
    assert 'value="1890"' in page and 'value="young" selected' in page  # nothing typed is lost
    user.get(f"/tasks/{task.id}")
    response = user.post(f"/tasks/{task.id}", {"target_group": "young", "gender": "woman", "birth_year": "1999"})
    assert response.status_code == 302
    assert engine.queries.task(task.id).state == "completed"
    response = user.get(f"/tasks/{task.id}")
    assert "Uppgiften är klar" in response.get_data(as_text=True)


def test_add_row_renders_another_row_without_saving(browser, engine):
    from engine.commands import StartInstance

    # The supplier's recruitment need is a list of vacancies; reach it through the API-less engine.
    instance = engine.execute(StartInstance("target_group", {
        "participant_id": "P-2", "procurement_id": "UPH-1", "case_owner": "Arbetsförmedlingen",
        "district": "Angered", "coordination_association": "X"}))
    task = engine.queries.instance(instance.id)["open_tasks"][0]
    user = browser("af")
    user.get(f"/tasks/{task.id}")
    response = user.post(f"/tasks/{task.id}", {"target_group": "young", "add_row": "vacancies",
                                               "vacancies.__rows": "1"})
    assert response.status_code == 200
    assert engine.queries.task(task.id).state == "open"


def test_the_modeller_checks_like_kedja_check_and_deploys_a_new_version(browser, engine):
    owner = browser("owner")
    owner.get("/modeller")
    headers = {"X-CSRFToken": owner.token}
    xml = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")

    response = owner.client.post("/modeller/check", json={"xml": xml}, headers=headers)
    assert response.status_code == 200 and response.json == {"problems": []}

    # Renaming a message the procurement sends leaves it without a catcher: a problem of the set,
    # found against the deployed procurement process as `kedja check` finds it against the file.
    broken = xml.replace('name="requirement_decided"', 'name="requirement_decided_v2"')
    problems = owner.client.post("/modeller/check", json={"xml": broken}, headers=headers).json["problems"]
    found = [(p["element_id"], p["message"]) for p in problems if p["file"] == "procurement v1"]
    assert ("send_requirement", "Meddelandet 'requirement_decided' skickas, men ingen process tar emot det.") in found
    response = owner.client.post("/modeller/deploy", json={"xml": broken}, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [d.version for d in engine.queries.definitions() if d.key == "target_group"] == [1]

    response = owner.client.post("/modeller/deploy", json={"xml": "<nope"}, headers=headers)
    assert response.status_code == 422
    response = owner.client.post("/modeller/deploy", json={}, headers=headers)
    assert response.status_code == 400

    changed = xml.replace('name="Identifiera deltagare"', 'name="Identifiera deltagaren"')
    response = owner.client.post("/modeller/deploy", json={"xml": changed}, headers=headers)
    assert response.status_code == 201 and response.json["versions"][0]["version"] == 2
    assert owner.client.post("/modeller/deploy", json={"xml": changed}).status_code == 400  # no CSRF token

    caseworker = browser("af")
    caseworker.get("/uppfoljning")
    response = caseworker.client.post("/modeller/check", json={"xml": xml}, headers={"X-CSRFToken": caseworker.token})
    assert response.status_code == 403


def test_problems_the_other_processes_have_already_do_not_block_an_edit(browser, engine):
    from engine.commands import Deploy

    from ..helpers import scripted_bpmn

    # Deployed through the API (which checks no forms): a process whose forms do not exist here.
    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn()),)))
    owner = browser("owner")
    owner.get("/modeller")
    headers = {"X-CSRFToken": owner.token}
    xml = (PROCESSES / "procurement.bpmn").read_text(encoding="utf-8").replace(
        'name="Registrera på bruttolistan"', 'name="Registrera upphandlingen"')
    assert owner.client.post("/modeller/check", json={"xml": xml}, headers=headers).json == {"problems": []}
    response = owner.client.post("/modeller/deploy", json={"xml": xml}, headers=headers)
    assert response.status_code == 201 and response.json["versions"][0]["version"] == 2
