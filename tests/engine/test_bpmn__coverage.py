"""BPMN that process owners draw runs (or is refused at deploy with the reason): manual and
plain tasks pass through, an event with several definitions waits for any of them, a called
process's user tasks go to its own lanes, scripts and timers agree on the city's time, and a
diagram declared ASCII is accepted."""
from datetime import datetime

import pytest

from engine.commands import Actor, CompleteTask, CorrelateMessage, Deploy, StartInstance, Sweep
from engine.errors import DeploymentRejected

from ..helpers import FIXTURES

SHAPES = FIXTURES / "shapes"
SUPPORT = Actor("stina", "Upphandlingsbolaget")


def _deploy(engine, name: str, replace: tuple[str, str] | None = None):
    xml = (SHAPES / name).read_text(encoding="utf-8")
    if replace:
        xml = xml.replace(*replace)
    return engine.execute(Deploy(((name, xml),)))


def _open(engine, instance_id):
    return [(t.element_id, t.organisation) for t in engine.queries.instance(instance_id)["open_tasks"]]


def test_manual_and_plain_tasks_pass_through_instead_of_stalling(engine):
    _deploy(engine, "manual_and_plain.bpmn")
    started = engine.execute(StartInstance("passing"))
    assert _open(engine, started.id) == [("after", "Upphandlingsbolaget")]
    task = engine.queries.instance(started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, SUPPORT))
    assert engine.queries.instance(started.id)["instance"].status == "completed"


@pytest.mark.parametrize("start_message", ["begin", "open_case"])
def test_a_start_with_two_messages_starts_on_either(engine, start_message):
    _deploy(engine, "multiple_events.bpmn")
    result = engine.execute(CorrelateMessage(start_message, {"case_id": "K-1"}, {"note": "hej"}))
    assert result.status == "started"
    [instance_id] = result.instance_ids
    view = engine.queries.instance(instance_id)
    assert view["instance"].status == "waiting"
    assert {(w["kind"], w["element_id"]) for w in view["waiting_for"]} == {("message", "go_or_hour"),
                                                                          ("timer", "go_or_hour")}


def test_a_catch_with_a_message_and_a_timer_goes_on_with_the_message(engine):
    _deploy(engine, "multiple_events.bpmn")
    [instance_id] = engine.execute(CorrelateMessage("begin", {"case_id": "K-2"})).instance_ids
    delivered = engine.execute(CorrelateMessage("go", {"case_id": "K-2"}, {"go_ahead": True}))
    assert delivered.status == "delivered"
    assert _open(engine, instance_id) == [("after", "Upphandlingsbolaget")]
    assert engine.queries.instance(instance_id)["waiting_for"] == []


def test_a_catch_with_a_message_and_a_timer_goes_on_when_the_time_is_up(engine, clock):
    _deploy(engine, "multiple_events.bpmn")
    [instance_id] = engine.execute(CorrelateMessage("begin", {"case_id": "K-3"})).instance_ids
    clock.advance(hours=1, seconds=1)
    assert engine.execute(Sweep()).timers_fired == 1
    assert _open(engine, instance_id) == [("after", "Upphandlingsbolaget")]


def test_a_called_process_s_user_task_goes_to_its_own_lane(engine):
    _deploy(engine, "call_activity.bpmn")
    started = engine.execute(StartInstance("caller"))
    assert _open(engine, started.id) == [("inspect", "Arbetsförmedlingen")]
    task = engine.queries.instance(started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, Actor("karin", "Arbetsförmedlingen")))
    assert engine.queries.instance(started.id)["instance"].status == "completed"


def test_a_called_process_without_lanes_is_refused_at_deploy(engine):
    with pytest.raises(DeploymentRejected, match=r"\[inspect\] user task is in no lane"):
        _deploy(engine, "call_activity.bpmn", ("<bpmn:flowNodeRef>inspect</bpmn:flowNodeRef>", ""))


def test_a_script_s_now_and_a_timer_date_without_a_zone_mean_the_same_wall_time(engine, clock):
    _deploy(engine, "clock_script.bpmn")
    started = engine.execute(StartInstance("clocked"))  # at 2026-01-05 08:00 UTC = 09:00 in Göteborg
    data = engine.queries.instance_data(started.id)
    assert data["stamped"] == datetime(2026, 1, 5, 9, 0) and data["deadline"] == "2026-01-05T11:00"
    [timer] = engine.queries.instance(started.id)["waiting_for"]
    assert timer["due_at"] == datetime(2026, 1, 5, 10, 0)  # 11:00 in Göteborg, stored as UTC
    clock.advance(hours=2, seconds=1)
    assert engine.execute(Sweep()).timers_fired == 1
    assert _open(engine, started.id) == [("after", "Upphandlingsbolaget")]


def test_a_diagram_declared_ascii_is_accepted(engine):
    xml = (SHAPES / "manual_and_plain.bpmn").read_text(encoding="utf-8")
    ascii_xml = xml.replace('encoding="UTF-8"', 'encoding="ASCII"').replace("ö", "&#246;").replace("ä", "&#228;")
    [version] = engine.execute(Deploy((("ascii.bpmn", ascii_xml.encode("ascii")),)))
    assert version.key == "passing"
    refused = xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    with pytest.raises(DeploymentRejected, match="ISO-8859-1"):
        engine.execute(Deploy((("latin.bpmn", refused),)))
