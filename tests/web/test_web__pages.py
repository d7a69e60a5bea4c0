"""The pages' rules: sign-in, CSRF, who sees what, filters, errors as pages."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from engine.commands import Actor, CompleteTask, Deploy, StartInstance
from engine.models import AccessLog

from ..helpers import fixture_bytes
from .conftest import start_participant

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def test_pages_need_sign_in_and_a_wrong_password_is_refused(browser):
    anonymous = browser()
    response = anonymous.get("/cases/whatever")
    assert response.status_code == 302 and response.location.startswith("/login?next=/cases/whatever")
    response = anonymous.login("af", "fel")
    assert response.status_code == 401 and "Fel användarnamn eller lösenord" in response.get_data(as_text=True)
    assert anonymous.login("nobody", "fel").status_code == 401
    assert anonymous.get("/").status_code == 302


def test_sign_in_goes_on_to_the_page_asked_for_but_never_to_another_site(browser):
    user = browser()
    user.get("/login")
    response = user.post("/login", {"username": "af", "password": "rätt-lösen-1", "next": "/uppfoljning"})
    assert response.location == "/uppfoljning"
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        user = browser()
        user.get("/login")
        response = user.post("/login", {"username": "af", "password": "rätt-lösen-1", "next": target})
        assert response.location == "/", target


def test_every_form_post_needs_the_csrf_token(browser, engine):
    start_participant(engine, "P-1", "Arbetsförmedlingen")
    user = browser("af")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    response = user.post(f"/tasks/{task.id}/claim", with_token=False)
    assert response.status_code == 400
    assert engine.queries.task(task.id).claimed_by is None
    assert user.post(f"/tasks/{task.id}/claim").status_code == 302
    assert engine.queries.task(task.id).claimed_by == "af"
    assert user.post("/logout", with_token=False).status_code == 400
    user.post("/logout")
    assert user.get("/").status_code == 302  # signed out


def test_participant_cases_only_for_the_bodies_working_with_them(browser, engine):
    mine = start_participant(engine, "P-AF", "Arbetsförmedlingen")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    angered = browser("angered")
    for path in (f"/tasks/{task.id}", f"/cases/{mine}", f"/cases/{mine}/diagram.bpmn"):
        response = angered.get(path)
        assert response.status_code == 404, path
        assert "P-AF" not in response.get_data(as_text=True)
    assert angered.post(f"/tasks/{task.id}/claim").status_code == 404
    assert "P-AF" not in angered.get("/").get_data(as_text=True)

    af = browser("af")
    assert af.get(f"/cases/{mine}").status_code == 200
    assert af.get(f"/tasks/{task.id}").status_code == 200
    with engine.session_factory() as session:
        reads = [(r.username, r.what) for r in session.scalars(select(AccessLog).where(AccessLog.instance_id == mine))]
    assert ("af", "instance") in reads and ("af", "task identify") in reads

    admin = browser("admin")
    assert admin.get(f"/cases/{mine}").status_code == 200  # the case and its state ...
    assert admin.get(f"/tasks/{task.id}").status_code == 404  # ... but not the participant's task data


def test_pages_by_role(browser):
    caseworker = browser("af")
    assert caseworker.get("/modeller").status_code == 403
    assert caseworker.get("/admin").status_code == 403
    assert caseworker.get("/admin/messages").status_code == 403
    owner = browser("owner")
    assert owner.get("/").location == "/modeller"  # no inbox of their own
    assert owner.get("/modeller").status_code == 200
    admin = browser("admin")
    for path in ("/admin", "/admin/stalled", "/admin/messages", "/admin/audit", "/admin?status=error&page=x"):
        assert admin.get(path).status_code == 200, path
    assert admin.get("/modeller").status_code == 403


def test_the_inbox_filters_and_sorts(browser, engine, clock):
    start_participant(engine, "P-OLD", "Arbetsförmedlingen")
    clock.advance(days=20)  # identification is due in 14 days: this one is overdue now
    start_participant(engine, "P-NEW", "Arbetsförmedlingen")
    user = browser("af")
    page = user.get("/?due=overdue").get_data(as_text=True)
    assert "P-OLD" in page and "P-NEW" not in page
    page = user.get("/?sort=due&order=desc").get_data(as_text=True)
    assert page.index("P-NEW") < page.index("P-OLD")
    page = user.get("/?process=procurement").get_data(as_text=True)
    assert "Inga uppgifter" in page
    page = user.get("/?sort=nonsense&page=-4&due=<script>").get_data(as_text=True)  # falls back, no error
    assert "P-OLD" in page and "<script>" not in page


def test_errors_are_pages_for_people_and_problems_for_the_api(browser, app):
    user = browser("af")
    response = user.get("/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    response = app.test_client().get("/api/v1/no/such")
    assert response.status_code in (401, 404) and response.mimetype == "application/problem+json"
    assert user.get("/vendor/bpmn-js/../../package.json").status_code == 404
    assert user.get("/vendor/left-pad/index.js").status_code == 404


def test_signing_out_ends_the_session_even_for_a_copied_cookie(browser, app):
    user = browser("af")
    stolen = app.test_client()
    for cookie in user.client._cookies.values():
        stolen.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert stolen.get("/").status_code == 200  # the copy works while the session lasts ...
    user.post("/logout")
    assert stolen.get("/").status_code == 302  # ... and not after signing out


def test_odd_input_gets_a_page_not_a_crash(browser, engine):
    start_participant(engine, "P-1", "Arbetsförmedlingen")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    user = browser("af")
    user.get(f"/tasks/{task.id}")
    response = user.post(f"/tasks/{task.id}", {"birth_year": "9" * 400, "target_group": "young"})
    assert response.status_code == 422 and "Ska vara ett heltal" in response.get_data(as_text=True)
    assert user.post(f"/tasks/{task.id}/claim", {"back": "/\r\nSet-Cookie: a=b"}).location == "/"
    owner = browser("owner")
    assert owner.get("/modeller?version=²").status_code == 200
    assert owner.get("/modeller/versions/99999999999999999999.bpmn").status_code == 404
    owner.get("/modeller")
    for body in ([1], "x", 1):
        response = owner.client.post("/modeller/check", json=body, headers={"X-CSRFToken": owner.token})
        assert response.status_code == 400, body


def test_a_task_taken_by_a_colleague_cannot_be_completed_and_what_was_typed_is_kept(browser, engine):
    from engine.accounts import add_user

    with engine.uow() as uow:
        add_user(uow, "af2", "Arbetsförmedlingen", ["caseworker"], engine.now(), "rätt-lösen-1")
        uow.commit()
    start_participant(engine, "P-1", "Arbetsförmedlingen")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    colleague = browser("af2")
    colleague.get("/")
    colleague.post(f"/tasks/{task.id}/claim")
    user = browser("af")
    page = user.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "af2 har tagit uppgiften" in page and "Slutför" not in page
    response = user.post(f"/tasks/{task.id}", {"target_group": "young", "gender": "man", "birth_year": "2000",
                                               "note": "viktigt"})
    assert response.status_code == 409 and "viktigt" in response.get_data(as_text=True)
    assert engine.queries.task(task.id).state == "open"
    assert user.post(f"/tasks/{task.id}/release").status_code == 302  # refused with a message, not a 403 page
    assert engine.queries.task(task.id).claimed_by == "af2"


def test_diagrams_are_served_so_that_they_cannot_run_as_pages(browser, engine):
    instance_id = start_participant(engine, "P-1", "Arbetsförmedlingen")
    response = browser("af").get(f"/cases/{instance_id}/diagram.bpmn")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_administrators_suspend_and_resume_from_the_page_and_it_is_audited(browser, engine):
    instance_id = start_participant(engine, "P-1", "Arbetsförmedlingen")
    admin = browser("admin")
    admin.get("/admin")
    response = admin.post(f"/admin/instances/{instance_id}/suspend", {"back": "/admin?status=suspended"})
    assert response.location == "/admin?status=suspended"
    page = admin.get("/admin?status=suspended").get_data(as_text=True)
    assert "Instansen är pausad" in page and "P-1" in page and 'data-action="resume"' in page
    assert engine.queries.instance(instance_id)["instance"].status == "suspended"
    admin.post(f"/admin/instances/{instance_id}/resume")
    assert engine.queries.instance(instance_id)["instance"].status == "running"
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Pausade" in page and "Återupptog" in page
    response = admin.post(f"/admin/instances/{instance_id}/resume")  # not suspended any more
    assert "Det gick inte" in admin.get("/admin").get_data(as_text=True)
    assert admin.post(f"/admin/instances/{instance_id}/explode").status_code == 302
    caseworker = browser("af")
    caseworker.get("/")
    assert caseworker.post(f"/admin/instances/{instance_id}/terminate").status_code == 403
    assert engine.queries.instance(instance_id)["instance"].status == "running"


def _open_tasks(engine, instance_id):
    return [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]]


def test_administrators_take_a_case_back_to_an_earlier_task_from_its_page(browser, engine):
    instance_id = start_participant(engine, "P-2", "Arbetsförmedlingen")
    identify = engine.queries.instance(instance_id)["open_tasks"][0]
    engine.execute(CompleteTask(identify.id, {"target_group": "young", "gender": "woman", "birth_year": 1999},
                                Actor("af", "Arbetsförmedlingen")))
    moved_on = _open_tasks(engine, instance_id)
    assert "identify" not in moved_on

    admin = browser("admin")
    page = admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert 'id="reset-form"' in page and '<option value="identify">Identifiera deltagare</option>' in page
    assert 'id="migrate-form"' not in page  # no newer version yet
    response = admin.post(f"/admin/instances/{instance_id}/reset", {"element_id": "identify"})
    assert response.location == f"/cases/{instance_id}"
    assert "Instansen är återställd till Identifiera deltagare" in admin.get(response.location).get_data(as_text=True)
    assert _open_tasks(engine, instance_id) == ["identify"]

    admin.post(f"/admin/instances/{instance_id}/reset", {"element_id": "employment"})  # never done
    assert "Det gick inte att gå tillbaka" in admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert _open_tasks(engine, instance_id) == ["identify"]
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Gick tillbaka" in page and "Identifiera deltagare" in page

    caseworker = browser("af")
    caseworker.get("/")
    assert caseworker.post(f"/admin/instances/{instance_id}/reset", {"element_id": "identify"}).status_code == 403
    assert 'id="reset-form"' not in caseworker.get(f"/cases/{instance_id}").get_data(as_text=True)


def test_administrators_move_a_case_to_a_newer_version_or_see_why_not(browser, engine):
    instance_id = start_participant(engine, "P-3", "Arbetsförmedlingen")  # stands on 'identify'
    xml = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")
    engine.execute(Deploy((("target_group.bpmn", xml.replace("Identifiera deltagare", "Identifiera deltagaren")
                            .encode()),)))
    without_identify = xml.replace('sourceRef="identify"', 'sourceRef="start"').replace(
        '<bpmn:flowNodeRef>identify</bpmn:flowNodeRef>', '')
    without_identify = re.sub(r'<bpmn:userTask id="identify".*?/>', "", without_identify)
    without_identify = re.sub(r'<bpmn:sequenceFlow id="flow_start_identify"[^>]*/>', "", without_identify)
    without_identify = re.sub(r'<bpmndi:BPMN(?:Shape|Edge) id="[^"]*identify[^"]*".*?</bpmndi:BPMN(?:Shape|Edge)>',
                              "", without_identify, flags=re.S)
    engine.execute(Deploy((("target_group.bpmn", without_identify.encode()),)))

    admin = browser("admin")
    page = admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "Flytta från version 1 till" in page and '<option value="3">' in page and '<option value="2">' in page
    admin.post(f"/admin/instances/{instance_id}/migrate", {"version": "3"})
    page = admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "Det gick inte att flytta. Den nya versionen saknar steg som ärendet har passerat eller står vid: " \
        "Identifiera deltagare." in page
    assert engine.queries.instance(instance_id)["instance"].definition_id == engine.queries.versions(
        "target_group")[0]["definition_id"]

    admin.post(f"/admin/instances/{instance_id}/migrate", {"version": "2"})
    assert "Instansen är flyttad till version 2" in admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert engine.queries.instance(instance_id)["open_tasks"][0].name == "Identifiera deltagaren"
    page = admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "Flytta från version 2 till" in page and '<option value="2">' not in page
    admin.post(f"/admin/instances/{instance_id}/migrate", {"version": "ett"})
    assert "Välj versionen" in admin.get(f"/cases/{instance_id}").get_data(as_text=True)


def test_a_process_an_owner_adds_is_named_as_its_diagram_names_it(browser, engine):
    engine.execute(Deploy((("intyg.bpmn", fixture_bytes("intyg.bpmn")),), source="file"))
    engine.execute(StartInstance("intyg", {}, business_key="I-1"))
    page = browser("af").get("/").get_data(as_text=True)
    row = page[page.index("I-1") - 600:page.index("I-1")]
    assert "Intygsprocessen" in row and ">intyg<" not in row  # the diagram's name, not its key
