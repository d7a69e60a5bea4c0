"""Administrators' actions: suspend, resume, terminate, retry, reset, migrate (each audited)."""
import pytest

from engine.commands import (
    Actor,
    CompleteTask,
    CorrelateMessage,
    Deploy,
    MigrateInstance,
    ResetInstance,
    ResumeInstance,
    RetryInstance,
    StartInstance,
    SuspendInstance,
    Sweep,
    TerminateInstance,
)
from engine.errors import InvalidState, StepFailed
from engine.models import AuditEntry

from ..helpers import deploy, fixture_bytes, scripted_bpmn

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


def _audit(engine, instance_id):
    with engine.session_factory() as session:
        return [(a.username, a.action, a.detail) for a in session.query(AuditEntry)
                .filter_by(instance_id=instance_id).order_by(AuditEntry.id)]


def test_reset_to_an_earlier_task(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O", "amount": 1, "buyer_organisation": "Higab"}))
    task = _view(engine, started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, Actor("anna", "Higab")))
    assert _view(engine, started.id)["waiting_for"][0]["element_id"] == "wait_reply"

    engine.execute(ResetInstance(started.id, "prepare", Actor("admin")))
    view = _view(engine, started.id)
    assert [t.element_id for t in view["open_tasks"]] == ["prepare"]
    assert view["waiting_for"] == [] and view["instance"].status == "running"
    assert _audit(engine, started.id) == [("admin", "reset", "prepare")]
    with pytest.raises(InvalidState):
        engine.execute(ResetInstance(started.id, "no_such_task", Actor("admin")))


def _open(engine, instance_id):
    return sorted(t.element_id for t in _view(engine, instance_id)["open_tasks"])


def test_reset_back_past_a_waiting_timer_keeps_the_instance_running(engine, clock):
    """The decision's deadline timer waits when the administrator goes back to the review: the
    timer goes with the decision, and the review's own reminder timer runs again."""
    deploy(engine, "reminded_review.bpmn")
    support = Actor("sara", "Upphandlingsbolaget")
    started = engine.execute(StartInstance("reminded_review")).id
    engine.execute(CompleteTask(_view(engine, started)["open_tasks"][0].id, {"reviewed": True}, support))
    assert [w["element_id"] for w in _view(engine, started)["waiting_for"]] == ["decision_late"]

    engine.execute(ResetInstance(started, "review", Actor("admin")))
    assert _open(engine, started) == ["review"]
    assert [w["element_id"] for w in _view(engine, started)["waiting_for"]] == ["review_late"]
    clock.advance(days=8)
    assert engine.execute(Sweep()).timers_fired == 1
    assert _open(engine, started) == ["remind", "review"]
    review = next(t for t in _view(engine, started)["open_tasks"] if t.element_id == "review")
    engine.execute(CompleteTask(review.id, {}, support))
    assert _open(engine, started) == ["decide", "remind"]
    assert _view(engine, started)["instance"].status == "running"


def test_migrate_to_a_newer_version_when_the_change_allows_it(engine):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines"))
    renamed = fixture_bytes("deadlines.bpmn").replace(b'kedja:formKey="placements"', b'kedja:formKey="placements_v2"')
    form = {"title": "Rapportera placering", "type": "object", "properties": {}}
    [v2] = engine.execute(Deploy((("deadlines.bpmn", renamed),), forms=(("placements_v2", form),)))
    assert engine.execute(MigrateInstance(started.id, 2, Actor("admin"))) == 2
    assert _view(engine, started.id)["instance"].definition_id == v2.definition_id
    assert _audit(engine, started.id) == [("admin", "migrate", "version 1 -> 2")]



def test_migration_is_refused_when_the_instance_stands_on_a_removed_element(engine):
    deploy(engine, "earmarked_participant.bpmn")
    waiting = _earmarked(engine)  # waits at requirement_received
    xml = fixture_bytes("earmarked_participant.bpmn").decode()
    start = xml.index('<bpmn:intermediateCatchEvent id="requirement_received"')
    end = xml.index("</bpmn:intermediateCatchEvent>") + len("</bpmn:intermediateCatchEvent>")
    xml = (xml[:start] + xml[end:]).replace("<bpmn:flowNodeRef>requirement_received</bpmn:flowNodeRef>", "")
    xml = xml.replace('<bpmn:sequenceFlow id="e2" sourceRef="identify" targetRef="requirement_received"/>',
                      '<bpmn:sequenceFlow id="e2" sourceRef="identify" targetRef="plan"/>')
    xml = xml.replace('<bpmn:sequenceFlow id="e3" sourceRef="requirement_received" targetRef="plan"/>', "")
    [v2] = engine.execute(Deploy((("earmarked.bpmn", xml),)))
    with pytest.raises(InvalidState) as refused:
        engine.execute(MigrateInstance(waiting, 2, Actor("admin")))
    assert "requirement_received" in str(refused.value)
    assert _view(engine, waiting)["instance"].definition_id != v2.definition_id  # unchanged


def test_a_migration_keeps_a_waiting_timer_on_the_engines_clock(engine, clock):
    """SpiffWorkflow re-arms the timers of the tasks a migration moves over: on the engine's clock,
    so the deadline stays where it was (not moved to the server's own date)."""
    deploy(engine, "reminded_review.bpmn")
    started = engine.execute(StartInstance("reminded_review")).id
    due = _view(engine, started)["waiting_for"][0]["due_at"]
    renamed = fixture_bytes("reminded_review.bpmn").replace(b'name="Granska"', 'name="Granska ansökan"'.encode())
    [v2] = engine.execute(Deploy((("reminded_review.bpmn", renamed),)))
    engine.execute(MigrateInstance(started, v2.version, Actor("admin")))
    assert _view(engine, started)["waiting_for"][0]["due_at"] == due
    clock.advance(days=7, seconds=1)
    assert engine.execute(Sweep()).timers_fired == 1
    assert _open(engine, started) == ["remind", "review"]
    assert "Granska ansökan" in [t.name for t in _view(engine, started)["open_tasks"]]
