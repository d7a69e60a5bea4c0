"""Poison work: a message or timer whose background work keeps failing is tried
`max_attempts` times with back-off, then becomes an incident with its error; an
administrator retries it after the fix and it is delivered (or fired) exactly once."""
from sqlalchemy.exc import OperationalError

from engine import incidents
from engine.commands import Actor, CompleteTask, CorrelateMessage, RetryIncident, StartInstance, Sweep
from engine.repository import Repository

from ..helpers import deploy

CASEWORKER = Actor("karin", "Angered")
ADMIN = Actor("admin")


def _waiting(engine, procurement_id):
    started = engine.execute(StartInstance("earmarked", {"procurement_id": procurement_id, "district": "Angered"}))
    engine.execute(CompleteTask(engine.queries.instance(started.id)["open_tasks"][0].id, {}, CASEWORKER))
    return started.id


def _broken_database(monkeypatch, *methods: str):
    def fail(*args, **kwargs):
        raise OperationalError("SELECT …", {}, Exception("disk I/O error"))
    for method in methods:
        monkeypatch.setattr(Repository, method, fail)


def test_a_message_that_fails_three_times_is_an_incident_and_a_retry_delivers_it_once(engine, clock, monkeypatch):
    deploy(engine, "earmarked_participant.bpmn")
    receiver = _waiting(engine, "UPH-7")
    with monkeypatch.context() as patched:
        # What routing reads to find its receiver's catch, one way or the other
        _broken_database(patched, "receiving_instances", "matching_wait")
        result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-7"}, {}))
        assert result.status == "pending"  # try 1 failed; the next waits for the back-off
        engine.execute(Sweep())
        assert engine.queries.message(result.message_id).attempts == 1  # not due again yet
        for _ in range(2):
            clock.advance(minutes=5)
            engine.execute(Sweep())
        message = engine.queries.message(result.message_id)
        assert (message.status, message.attempts) == ("failed", 3)
        assert "disk I/O error" in message.last_error
        clock.advance(days=1)
        engine.execute(Sweep())  # an incident is no longer retried
        assert engine.queries.message(result.message_id).attempts == 3

    [incident] = incidents.incidents(engine)
    assert (incident.kind, incident.id, incident.attempts) == ("message", result.message_id, 3)
    assert "disk I/O error" in incident.error

    engine.execute(RetryIncident("message", result.message_id, ADMIN))  # after the fix
    assert engine.queries.message(result.message_id).status == "delivered"
    assert [t.element_id for t in engine.queries.instance(receiver)["open_tasks"]] == ["plan"]
    assert incidents.incidents(engine) == []
    engine.execute(Sweep())
    assert [t.element_id for t in engine.queries.instance(receiver)["open_tasks"]] == ["plan"]  # once


def test_a_timer_that_fails_three_times_is_an_incident_and_a_retry_fires_it(engine, clock, monkeypatch):
    deploy(engine, "deadlines.bpmn")
    started = engine.execute(StartInstance("deadlines"))
    clock.advance(days=31)
    with monkeypatch.context() as patched:
        _broken_database(patched, "wait")
        for _ in range(3):
            assert engine.execute(Sweep()).timers_failed == 1
            clock.advance(minutes=5)
        assert engine.execute(Sweep()).timers_failed == 0  # an incident now: not claimed again
    [incident] = incidents.incidents(engine)
    assert (incident.kind, incident.instance_id, incident.name) == ("timer", started.id, "wait_start")
    assert "disk I/O error" in incident.error
    assert engine.queries.instance(started.id)["open_tasks"] == []

    engine.execute(RetryIncident("timer", incident.id, ADMIN))
    assert engine.execute(Sweep()).timers_fired == 1
    assert [t.element_id for t in engine.queries.instance(started.id)["open_tasks"]] == ["report"]
    assert incidents.incidents(engine) == []
