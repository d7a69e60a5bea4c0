"""Stall detection: each rule reports an instance with the right reason, and the finding goes
when the instance moves."""
import pytest
from sqlalchemy import delete

from engine.commands import (
    Actor,
    ClaimTask,
    CompleteTask,
    CorrelateMessage,
    Deploy,
    DetectStalls,
    RetryInstance,
    StartInstance,
    Sweep,
    TerminateInstance,
)
from engine.errors import StepFailed
from engine.models import Wait

from ..helpers import deploy, scripted_bpmn


def _findings(engine, instance_id=None):
    engine.execute(DetectStalls())
    return [(f["reason"], f["element_id"]) for f in engine.queries.stalled(per_page=200).items
            if instance_id is None or f["instance_id"] == instance_id]


def _earmarked(engine, procurement_id="UPH-1"):
    started = engine.execute(StartInstance("earmarked", {"procurement_id": procurement_id, "district": "Angered"}))
    task = engine.queries.instance(started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, Actor("karin", "Angered")))
    return started.id


def test_waiting_too_long_for_a_message_names_the_message_and_values(engine, clock):
    deploy(engine, "earmarked_participant.bpmn")
    waiting = _earmarked(engine)
    clock.advance(days=59)
    assert _findings(engine, waiting) == []
    clock.advance(days=2)
    assert _findings(engine, waiting) == [("message_wait", "requirement_received")]
    [finding] = engine.queries.stalled(reason="message_wait").items
    assert finding["detail"] == {"message": "requirement_decided", "correlation": {"procurement_id": "UPH-1"}}

    engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-1"}, {}))
    assert engine.queries.stalled().total == 0  # it moved: cleared at once


def test_thresholds_per_process_and_element(make_engine, clock):
    engine = make_engine(stall_thresholds={"earmarked/requirement_received": {"message_wait": 86400},
                                           "earmarked": {"no_progress": 2 * 86400}})
    deploy(engine, "earmarked_participant.bpmn")
    waiting = _earmarked(engine)
    clock.advance(days=1, seconds=1)
    assert _findings(engine, waiting) == [("message_wait", "requirement_received")]
    clock.advance(days=1)
    assert sorted(_findings(engine, waiting)) == [("message_wait", "requirement_received"), ("no_progress", None)]
    engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-1"}, {}))
    assert _findings(engine, waiting) == []  # it moved


def test_a_timer_overdue_and_a_task_overdue(engine, clock):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines")).id
    clock.advance(days=30, hours=2)  # due after 30 days; nobody swept
    assert _findings(engine, started) == [("timer_overdue", "wait_start")]
    engine.execute(Sweep())
    assert _findings(engine, started) == []
    clock.advance(days=11)  # the report task was due in 10 days
    assert _findings(engine, started) == [("task_overdue", "report")]
    task = engine.queries.instance(started)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, Actor("s", "Upphandlingsbolaget")))
    assert _findings(engine, started) == []


def test_an_unclaimed_task(engine, clock):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O", "amount": 1,
                                                         "buyer_organisation": "Higab"})).id
    clock.advance(days=15)  # due in 5 days, and nobody has claimed it
    assert sorted(_findings(engine, started)) == [("task_overdue", "prepare"), ("task_unclaimed", "prepare")]
    task = engine.queries.instance(started)["open_tasks"][0]
    engine.execute(ClaimTask(task.id, Actor("anna", "Higab")))
    assert _findings(engine, started) == [("task_overdue", "prepare")]


def test_an_orphan_waits_for_nothing(engine):
    deploy(engine, "earmarked_participant.bpmn")
    waiting = _earmarked(engine)
    with engine.uow() as uow:  # as if its projection had been lost
        uow.session.execute(delete(Wait).where(Wait.instance_id == waiting))
        uow.commit()
    assert _findings(engine, waiting) == [("orphan", None)]
    engine.execute(TerminateInstance(waiting, Actor("admin")))  # an administrator ends it
    assert _findings(engine, waiting) == []


def test_an_instance_in_error_until_retried(engine):
    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn(script="total = amount / divisor")),)))
    started = engine.execute(StartInstance("scripted", {"case_id": "C", "amount": 1})).id
    task = engine.queries.instance(started)["open_tasks"][0]
    with pytest.raises(StepFailed):
        engine.execute(CompleteTask(task.id, {"divisor": 0}, Actor("a", "Arbetsförmedlingen")))
    assert _findings(engine, started) == [("error", "compute")]
    assert "ZeroDivisionError" in engine.queries.stalled().items[0]["detail"]["message"]
    engine.execute(RetryInstance(started))
    assert _findings(engine, started) == []


def test_the_database_is_asked_down_to_the_smallest_threshold_set_anywhere():
    from engine.stalls import DEFAULT_THRESHOLDS, Thresholds

    thresholds = Thresholds({"*": {"task_unclaimed": 7 * 86400}, "supplier/first_meeting": {"task_unclaimed": 3600},
                             "procurement": {"no_progress": 10 * 86400 * 365}})
    assert thresholds.least("task_unclaimed") == 3600
    assert thresholds.least("no_progress") == DEFAULT_THRESHOLDS["no_progress"]  # a larger one does not widen it
    assert thresholds.seconds("task_unclaimed", "supplier", "bid") == 7 * 86400
