"""Instances, tasks and messages over HTTP, with who may see and do what."""
import re
from pathlib import Path

import pytest

from engine.commands import Deploy, DetectStalls
from engine.models import AccessLog

PROBLEM = "application/problem+json"
PROCESSES = Path(__file__).resolve().parents[2] / "processes"
REGISTER = {"title": "Parkskötsel", "kind": "service", "estimated_value_msek": 10, "contract_start": "2026-06-01",
            "duration_months": 12, "estimated_workers": 4, "framework_agreement": False}


def _start_procurement(call, uph="UPH-1", user="higab"):
    response = call("POST", "/api/v1/instances", user, json={
        "process": "procurement", "business_key": uph, "data": {"procurement_id": uph, "buyer_organisation": "Higab"}})
    assert response.status_code == 201, response.json
    return response.json


def _open_task(call, user, element):
    tasks = call("GET", "/api/v1/tasks", user).json["items"]
    return next(t for t in tasks if t["element_id"] == element)


def test_start_and_read_an_instance(call):
    started = _start_procurement(call)
    assert started["status"] == "running" and started["process"] == "procurement"
    assert [t["element_id"] for t in started["open_tasks"]] == ["register"]
    assert started["created_at"].endswith("+00:00")
    assert call("GET", f"/api/v1/instances/{started['id']}", "higab").json["business_key"] == "UPH-1"
    # Another organisation, or no organisation of the case: 404, not 403.
    assert call("GET", f"/api/v1/instances/{started['id']}", "trafik").status_code == 404
    assert call("GET", f"/api/v1/instances/{started['id']}", "admin").status_code == 200
    assert call("GET", "/api/v1/instances", "trafik").json["total"] == 0
    assert call("GET", "/api/v1/instances", "higab").json["total"] == 1


@pytest.mark.parametrize("body, field", [
    ({"data": {}}, "process"), ({"process": "procurement", "data": [1]}, "data"),
    ({"process": "procurement", "surprise": 1}, "surprise")])
def test_bad_start_requests_name_the_field(call, body, field):
    response = call("POST", "/api/v1/instances", "higab", json=body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in {e["field"] for e in response.json["errors"]}


def test_who_may_start_what(call):
    body = {"process": "procurement", "data": {"procurement_id": "U", "buyer_organisation": "Higab"}}
    assert call("POST", "/api/v1/instances", "bygg", json=body).status_code == 403
    assert call("POST", "/api/v1/instances", "owner", json=body).status_code == 403
    assert call("POST", "/api/v1/instances", "higab", json={**body, "process": "nope"}).status_code == 404
    assert call("POST", "/api/v1/instances", "higab", data="x", content_type="text/plain").status_code in (415, 422)


def test_the_inbox_and_completing_a_task(call):
    _start_procurement(call)
    task = _open_task(call, "higab", "register")
    assert call("GET", "/api/v1/tasks", "trafik").json["total"] == 0
    detail = call("GET", f"/api/v1/tasks/{task['id']}", "higab").json
    assert detail["form"]["title"] == "Registrera upphandling på bruttolistan"
    assert detail["data"]["procurement_id"] == "UPH-1"
    assert call("GET", f"/api/v1/tasks/{task['id']}", "trafik").status_code == 404

    assert call("POST", f"/api/v1/tasks/{task['id']}/claim", "higab").json["claimed_by"] == "higab"
    mine = call("GET", "/api/v1/tasks?scope=mine", "higab").json
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    assert call("POST", f"/api/v1/tasks/{task['id']}/release", "higab").json["claimed_by"] is None

    bad = call("POST", f"/api/v1/tasks/{task['id']}/complete", "higab", json={"data": {**REGISTER, "kind": "x"}})
    assert bad.status_code == 422 and bad.json["errors"] == [
        {"field": "kind", "message": "Välj ett av: Tjänst, Byggentreprenad, Vara"}]
    assert call("POST", f"/api/v1/tasks/{task['id']}/complete", "trafik", json={"data": REGISTER}).status_code == 404
    # An administrator sees the task but does not do another organisation's work.
    assert call("POST", f"/api/v1/tasks/{task['id']}/complete", "admin", json={"data": REGISTER}).status_code == 403
    assert call("POST", "/api/v1/tasks/no-such-task/complete", "higab", json={"data": {}}).status_code == 404
    done = call("POST", f"/api/v1/tasks/{task['id']}/complete", "higab", json={"data": REGISTER})
    assert done.status_code == 200 and done.json["state"] == "completed"
    again = call("POST", f"/api/v1/tasks/{task['id']}/complete", "higab", json={"data": REGISTER})
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert _open_task(call, "support", "needs_inventory")


def test_lists_are_paginated_with_links(call):
    for n in range(3):
        _start_procurement(call, f"UPH-{n}")
    page = call("GET", "/api/v1/tasks?per_page=2&page=1", "higab")
    assert (page.json["total"], len(page.json["items"]), page.json["per_page"]) == (3, 2, 2)
    assert 'rel="next"' in page.headers["Link"] and 'rel="last"' in page.headers["Link"]
    assert call("GET", "/api/v1/tasks?per_page=500", "higab").status_code == 422


def test_admin_actions_are_for_administrators(call):
    started = _start_procurement(call)
    assert call("POST", f"/api/v1/instances/{started['id']}/suspend", "higab").status_code == 403
    suspended = call("POST", f"/api/v1/instances/{started['id']}/suspend", "admin")
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    task = _open_task(call, "higab", "register")
    assert call("POST", f"/api/v1/tasks/{task['id']}/complete", "higab", json={"data": REGISTER}).status_code == 409
    assert call("POST", f"/api/v1/instances/{started['id']}/resume", "admin").json["status"] == "running"
    assert call("POST", f"/api/v1/instances/{started['id']}/retry", "admin").status_code == 409
    assert call("POST", f"/api/v1/instances/{started['id']}/terminate", "admin").json["status"] == "terminated"


def test_messages_from_other_systems(call):
    body = {"name": "requirement_decided", "correlation": {"procurement_id": "UPH-X"}, "payload": {"places": 1},
            "message_id": "ext-1"}
    assert call("POST", "/api/v1/messages", "higab", json=body).status_code == 403
    buffered = call("POST", "/api/v1/messages", "admin", json=body)
    assert buffered.status_code == 202 and buffered.json["status"] == "buffered"
    assert call("POST", "/api/v1/messages", "admin", json=body).json["duplicate"] is True
    missing = call("POST", "/api/v1/messages", "admin", json={**body, "message_id": "ext-2", "ttl_seconds": 0})
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    log = call("GET", "/api/v1/messages?status=buffered", "admin").json
    assert [(m["id"], m["correlation"]) for m in log["items"]] == [("ext-1", {"procurement_id": "UPH-X"})]


def test_participant_cases_are_seen_by_their_bodies_only_and_each_read_is_logged(call, engine):
    _start_procurement(call)
    started = call("POST", "/api/v1/instances", "angered", json={"process": "target_group", "data": {
        "participant_id": "P-1", "procurement_id": "UPH-1", "case_owner": "Angered", "district": "Angered",
        "coordination_association": "Samordningsförbundet Göteborg Nordost"}}).json
    task = _open_task(call, "angered", "identify")
    assert call("GET", f"/api/v1/tasks/{task['id']}", "angered").status_code == 200
    for user in ("af", "bygg", "higab"):
        assert call("GET", f"/api/v1/instances/{started['id']}", user).status_code == 404
        assert call("GET", f"/api/v1/tasks/{task['id']}", user).status_code == 404
    assert call("GET", f"/api/v1/tasks/{task['id']}", "admin").status_code == 404  # no personal data for admins
    assert call("GET", f"/api/v1/instances/{started['id']}", "angered").status_code == 200
    with engine.session_factory() as session:
        log = [(row.username, row.instance_id, row.what) for row in session.query(AccessLog).order_by(AccessLog.id)]
    assert log == [("angered", started["id"], "task identify"), ("angered", started["id"], "instance")]


def test_a_participant_process_renamed_by_its_owner_keeps_its_protection(call, engine):
    """Access rules find the participant process by kedja:modelRole="participant", not by its id:
    a copy deployed under another key, with its first task renamed, is just as protected."""
    xml = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")
    xml = re.sub(r'(id|bpmnElement|sourceRef|targetRef)="target_group"', r'\1="deltagare"', xml)
    xml = re.sub(r'(id|bpmnElement|sourceRef|targetRef)="identify"', r'\1="identifiera"', xml)
    xml = xml.replace(">identify</bpmn:flowNodeRef>", ">identifiera</bpmn:flowNodeRef>")
    engine.execute(Deploy((("deltagare.bpmn", xml),)))
    _start_procurement(call)
    started = call("POST", "/api/v1/instances", "angered", json={"process": "deltagare", "data": {
        "participant_id": "P-1", "procurement_id": "UPH-1", "case_owner": "Angered", "district": "Angered",
        "coordination_association": "Samordningsförbundet Göteborg Nordost"}}).json
    task = _open_task(call, "angered", "identifiera")
    assert call("GET", f"/api/v1/tasks/{task['id']}", "angered").status_code == 200
    assert call("GET", f"/api/v1/tasks/{task['id']}", "admin").status_code == 404  # no personal data for admins
    with engine.session_factory() as session:
        log = [(row.username, row.instance_id, row.what) for row in session.query(AccessLog).order_by(AccessLog.id)]
    assert log == [("angered", started["id"], "task identifiera")]


def test_follow_up_report_as_json_and_csv(call):
    _start_procurement(call)
    figures = call("GET", "/api/v1/reports/follow-up", "bygg")
    assert figures.status_code == 200 and figures.json["share_goal"] == 0.5
    csv = call("GET", "/api/v1/reports/follow-up", "bygg", headers={"Accept": "text/csv"})
    assert csv.mimetype == "text/csv" and csv.data.startswith("\ufeffNyckeltal;Uppdelning;Värde\r\n".encode())
    assert "Mål för andelen;;0,5" in csv.data.decode("utf-8-sig")


def test_stalled_instances_for_administrators(call, engine, clock):
    _start_procurement(call)
    clock.advance(days=15)
    engine.execute(DetectStalls())
    assert call("GET", "/api/v1/admin/stalled", "higab").status_code == 403
    stalled = call("GET", "/api/v1/admin/stalled?reason=task_unclaimed", "admin").json
    assert [(f["reason"], f["element_id"], f["business_key"]) for f in stalled["items"]] == [
        ("task_unclaimed", "register", "UPH-1")]


def test_reset_and_migrate_over_http(call, engine):
    started = _start_procurement(call)
    task = _open_task(call, "higab", "register")
    call("POST", f"/api/v1/tasks/{task['id']}/complete", "higab", json={"data": REGISTER})
    assert call("POST", f"/api/v1/instances/{started['id']}/reset", "higab", json={"element_id": "register"}
                ).status_code == 403
    reset = call("POST", f"/api/v1/instances/{started['id']}/reset", "admin", json={"element_id": "register"})
    assert reset.status_code == 200 and [t["element_id"] for t in reset.json["open_tasks"]] == ["register"]
    missing = call("POST", f"/api/v1/instances/{started['id']}/migrate", "admin", json={"version": 5})
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert call("POST", f"/api/v1/instances/{started['id']}/migrate", "admin", json={}).status_code == 422
