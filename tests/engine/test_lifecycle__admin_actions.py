"""Suspend, resume, terminate, retry."""
import pytest

from engine.commands import (
    Actor,
    CompleteTask,
    CorrelateMessage,
    Deploy,
    ResumeInstance,
    RetryInstance,
    StartInstance,
    SuspendInstance,
    Sweep,
    TerminateInstance,
)
from engine.errors import InvalidState, StepFailed

from ..helpers import deploy, scripted_bpmn

DISTRICT = Actor("karin", "Angered")


def _earmarked(engine, procurement_id="UPH-1"):
    started = engine.execute(StartInstance("earmarked", {"procurement_id": procurement_id, "district": "Angered"}))
    engine.execute(CompleteTask(engine.queries.instance(started.id)["open_tasks"][0].id, {}, DISTRICT))
    return started.id


def _view(engine, instance_id):
    return engine.queries.instance(instance_id)


def test_a_suspended_instance_holds_messages_and_timers_until_resumed(engine, clock):
    deploy(engine, "earmarked_participant.bpmn", "deadlines.bpmn")
    waiting = _earmarked(engine)
    timed = engine.execute(StartInstance("deadlines")).id
    engine.execute(SuspendInstance(waiting))
    engine.execute(SuspendInstance(timed))

    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-1"}, {"places": 1},
                                             ttl_seconds=90 * 86400))
    clock.advance(days=31)
    assert engine.execute(Sweep()).timers_fired == 0
    assert result.status == "buffered"
    assert _view(engine, waiting)["open_tasks"] == [] and _view(engine, timed)["open_tasks"] == []

    engine.execute(ResumeInstance(waiting))  # the held message arrives on resume
    assert [t.element_id for t in _view(engine, waiting)["open_tasks"]] == ["plan"]
    assert _view(engine, waiting)["instance"].status == "running"
    assert engine.queries.message(result.message_id).status == "delivered"
    engine.execute(ResumeInstance(timed))  # the timer that fell due meanwhile fires on resume
    assert [t.element_id for t in _view(engine, timed)["open_tasks"]] == ["report"]


def test_a_suspended_instance_refuses_task_completion(engine):
    deploy(engine, "earmarked_participant.bpmn")
    started = engine.execute(StartInstance("earmarked", {"procurement_id": "U", "district": "Angered"}))
    engine.execute(SuspendInstance(started.id))
    task = _view(engine, started.id)["open_tasks"][0]
    with pytest.raises(InvalidState):
        engine.execute(CompleteTask(task.id, {}, DISTRICT))
    with pytest.raises(InvalidState):
        engine.execute(SuspendInstance(started.id))


def test_terminate_cancels_open_tasks_and_waits(engine):
    deploy(engine, "deadlines.bpmn", "earmarked_participant.bpmn")
    started = engine.execute(StartInstance("earmarked", {"procurement_id": "U", "district": "Angered"}))
    task = _view(engine, started.id)["open_tasks"][0]
    assert engine.execute(TerminateInstance(started.id)) == "terminated"
    view = _view(engine, started.id)
    assert view["instance"].status == "terminated"
    assert view["open_tasks"] == [] and view["waiting_for"] == []
    assert engine.queries.task(task.id).state == "cancelled"
    with pytest.raises(InvalidState):
        engine.execute(TerminateInstance(started.id))


def test_retry_runs_the_failed_step_again(engine):
    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn(script="total = amount / divisor")),)))
    started = engine.execute(StartInstance("scripted", {"case_id": "C", "amount": 10}))
    task = _view(engine, started.id)["open_tasks"][0]
    with pytest.raises(StepFailed):
        engine.execute(CompleteTask(task.id, {"divisor": 0}, Actor("a", "Arbetsförmedlingen")))
    assert _view(engine, started.id)["instance"].status == "error"
    with pytest.raises(InvalidState):
        engine.execute(CompleteTask(task.id, {"divisor": 2}, Actor("a", "Arbetsförmedlingen")))

    assert engine.execute(RetryInstance(started.id)) == "running"  # the task is open again
    engine.execute(CompleteTask(task.id, {"divisor": 2}, Actor("a", "Arbetsförmedlingen")))
    assert engine.queries.instance_data(started.id)["total"] == 5
    with pytest.raises(InvalidState):
        engine.execute(RetryInstance(started.id))
