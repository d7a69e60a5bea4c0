"""Timers: projected with their due time and fired by the sweep as the clock moves (no sleeping)."""
from datetime import datetime, timezone

from engine.commands import Actor, CompleteTask, StartInstance, Sweep

from ..helpers import deploy

SUPPORT = Actor("stina", "Upphandlingsbolaget")


def _view(engine, instance_id):
    return engine.queries.instance(instance_id)


def test_duration_timer_is_projected_and_fired_by_the_sweep(engine, clock):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines"))
    assert started.status == "waiting"
    [wait] = _view(engine, started.id)["waiting_for"]
    assert wait["kind"] == "timer" and wait["element_id"] == "wait_start"
    assert wait["due_at"] == datetime(2026, 2, 4, 8, 0)  # frozen start 2026-01-05 08:00 + 30 days

    clock.advance(days=29)
    assert engine.execute(Sweep()).timers_fired == 0
    assert _view(engine, started.id)["open_tasks"] == []

    clock.advance(days=1, seconds=1)
    assert engine.execute(Sweep()).timers_fired == 1
    [report] = _view(engine, started.id)["open_tasks"]
    assert report.element_id == "report"
    assert report.due_at == datetime(2026, 2, 14, 8, 0, 1)  # kedja:dueIn 'P10D' from when it opened
    assert engine.execute(Sweep()).timers_fired == 0  # fired once only


def test_boundary_timer_cancels_the_task_and_opens_the_escalation(engine, clock):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines"))
    clock.advance(days=31)
    engine.execute(Sweep())
    [report] = _view(engine, started.id)["open_tasks"]
    [boundary] = _view(engine, started.id)["waiting_for"]
    assert boundary["element_id"] == "report_overdue"

    clock.set(datetime(2026, 8, 5, 9, 0, tzinfo=timezone.utc))  # past the six months
    assert engine.execute(Sweep()).timers_fired == 1

    view = _view(engine, started.id)
    assert [t.element_id for t in view["open_tasks"]] == ["remind"]
    assert {(t.element_id, t.state) for t in view["history"]} == {("report", "cancelled")}
    engine.execute(CompleteTask(view["open_tasks"][0].id, {}, SUPPORT))
    assert _view(engine, started.id)["instance"].status == "completed"


def test_completing_the_task_in_time_removes_its_boundary_timer(engine, clock):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines"))
    clock.advance(days=31)
    engine.execute(Sweep())
    [report] = _view(engine, started.id)["open_tasks"]
    engine.execute(CompleteTask(report.id, {"placements": 2}, SUPPORT))

    view = _view(engine, started.id)
    assert view["instance"].status == "completed"
    assert view["waiting_for"] == []
    clock.advance(days=400)
    assert engine.execute(Sweep()).timers_fired == 0


def test_timers_of_many_instances_fire_in_one_sweep_each_in_its_own_transaction(engine, clock):
    deploy(engine, "deadlines.bpmn")
    ids = [engine.execute(StartInstance("deadlines")).id for _ in range(5)]
    clock.advance(days=31)
    report = engine.execute(Sweep(limit=100))
    assert (report.timers_fired, report.timers_failed) == (5, 0)
    assert all(_view(engine, i)["instance"].status == "running" for i in ids)


def test_date_timer_and_cycle_timer(engine, clock):
    deploy(engine, "contract_followup.bpmn")
    started = engine.execute(StartInstance("contract_followup", {
        "contract_start_date": "2026-03-01T00:00:00+00:00", "buyer_organisation": "Higab",
        "supplier_organisation": "Bygg AB"}))
    [wait] = _view(engine, started.id)["waiting_for"]
    assert (wait["element_id"], wait["due_at"]) == ("contract_start", datetime(2026, 3, 1))

    def sweep_at(*moment):
        clock.set(datetime(*moment, tzinfo=timezone.utc))
        return engine.execute(Sweep()).timers_fired

    def open_tasks():
        return sorted((t.element_id, t.organisation) for t in _view(engine, started.id)["open_tasks"])

    assert sweep_at(2026, 3, 1, 0, 0, 1) == 1
    assert open_tasks() == [("follow_up", "Higab")]
    [cycle] = _view(engine, started.id)["waiting_for"]
    assert (cycle["element_id"], cycle["due_at"]) == ("monthly", datetime(2026, 4, 1, 0, 0, 1))

    assert sweep_at(2026, 4, 2) == 1
    assert sweep_at(2026, 5, 3) == 1
    assert sweep_at(2026, 6, 3) == 0  # R2: two repetitions only
    assert open_tasks() == [("follow_up", "Higab"), ("monthly_report", "Bygg AB"), ("monthly_report", "Bygg AB")]


def test_a_timer_date_without_a_zone_is_the_citys_wall_time(engine):
    deploy(engine, "contract_followup.bpmn")
    summer = engine.execute(StartInstance("contract_followup", {
        "contract_start_date": "2026-07-01T09:00", "buyer_organisation": "Higab", "supplier_organisation": "B"}))
    winter = engine.execute(StartInstance("contract_followup", {
        "contract_start_date": "2026-01-15T09:00", "buyer_organisation": "Higab", "supplier_organisation": "B"}))
    assert _view(engine, summer.id)["waiting_for"][0]["due_at"] == datetime(2026, 7, 1, 7, 0)  # CEST
    assert _view(engine, winter.id)["waiting_for"][0]["due_at"] == datetime(2026, 1, 15, 8, 0)  # CET


def test_a_timer_date_already_past_fires_at_once(engine):
    deploy(engine, "contract_followup.bpmn")
    started = engine.execute(StartInstance("contract_followup", {
        "contract_start_date": "2025-12-01", "buyer_organisation": "Higab", "supplier_organisation": "B"}))
    assert [t.element_id for t in _view(engine, started.id)["open_tasks"]] == ["follow_up"]


def test_a_long_loop_keeps_going_past_spiffworkflows_default_depth(engine):
    """Each pass through a loop deepens the task tree; at depth 1,000 SpiffWorkflow would stop
    seeing ready tasks, and the case would silently halt."""
    deploy(engine, "loop.bpmn")
    started = engine.execute(StartInstance("loop", {"stop": False}))
    for _ in range(520):
        [task] = _view(engine, started.id)["open_tasks"]
        engine.execute(CompleteTask(task.id, {"stop": False}, Actor("bench", "Org")))
    [task] = _view(engine, started.id)["open_tasks"]
    engine.execute(CompleteTask(task.id, {"stop": True}, Actor("bench", "Org")))
    assert _view(engine, started.id)["instance"].status == "completed"
