"""Routing when things go wrong: a failing receiver, a message started twice, loose types."""
import json
from datetime import timedelta

import pytest

from engine import messaging
from engine.bus import CommandContext
from engine.clock import utc_naive
from engine.commands import Actor, CompleteTask, CorrelateMessage, Deploy, StartInstance
from engine.errors import ConcurrentUpdate, DeploymentRejected
from engine.models import Message
from engine.spiff import workflow
from engine.uow import FollowUps

from ..helpers import deploy, fixture_bytes

CASEWORKER = Actor("karin", "Angered")


def _waiting(engine, process, procurement_id, **data):
    started = engine.execute(StartInstance(process, {"procurement_id": procurement_id, "district": "Angered",
                                                     **data}))
    engine.execute(CompleteTask(engine.queries.instance(started.id)["open_tasks"][0].id, {}, CASEWORKER))
    return started.id


def _context(engine, uow) -> CommandContext:
    """A command's context around a unit of work the test holds (two routers side by side)."""
    context = CommandContext(engine.bus, FollowUps())
    context.uow = uow
    return context


def test_a_receiver_that_fails_does_not_keep_the_message_from_the_others(engine):
    deploy(engine, "fragile_receiver.bpmn")
    good = [_waiting(engine, "fragile", "UPH-1", bad=False) for _ in range(3)]
    bad = [_waiting(engine, "fragile", "UPH-1", bad=True) for _ in range(2)]

    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-1"}, {"places": 2}))

    assert result.status == "delivered"
    assert sorted(result.instance_ids) == sorted(good)
    for instance_id in good:
        assert [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]] == ["plan"]
    for instance_id in bad:  # its own data could not be stored: the step failed, in error
        instance = engine.queries.instance(instance_id)["instance"]
        assert (instance.status, instance.error_element) == ("error", "after")
        assert "range" in instance.error_message


def test_a_message_starts_one_instance_even_when_routed_twice_at_once(engine, clock):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    with engine.uow() as uow:  # an order_request nobody has routed yet
        uow.repo.add(Message(id="m-1", name="order_request", correlation_key=workflow.correlation_key(
            {"order_id": "O-9"}), payload=json.dumps({"order_id": "O-9"}), status="pending",
            created_at=utc_naive(clock.now()), expires_at=utc_naive(clock.now() + timedelta(days=1)), attempts=0))
        uow.commit()
    [responder] = [d for d in engine.queries.definitions() if d.key == "responder"]

    # Two routers (threads or nodes) that both read the message and decided to start: only one
    # transaction wins; the other starts nothing (it finds the message started, or loses the race).
    with engine.uow() as first_uow, engine.uow() as second_uow, engine.step_settings():
        first_message, second_message = first_uow.repo.message("m-1"), second_uow.repo.message("m-1")
        first = messaging._start_by_message(_context(engine, first_uow), first_message, responder.id)
        first_uow.commit()
        try:
            second = messaging._start_by_message(_context(engine, second_uow), second_message, responder.id)
        except ConcurrentUpdate:
            second = "lost the race"
    assert first == "started" and second in ("started", "lost the race")
    assert engine.queries.instances(process="responder").total == 1
    assert engine.queries.message("m-1").status == "started"


def test_correlation_values_compare_as_text(engine):
    deploy(engine, "earmarked_participant.bpmn")
    receiver = _waiting(engine, "earmarked", "42")
    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": 42}, {}))
    assert result.instance_ids == (receiver,)


def test_a_second_process_may_not_start_on_the_same_message(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    copy = fixture_bytes("order_responder.bpmn").replace(b'id="responder"', b'id="responder_copy"').replace(
        b'processRef="responder"', b'processRef="responder_copy"')
    with pytest.raises(DeploymentRejected) as rejected:
        engine.execute(Deploy((("copy.bpmn", copy),)))
    assert "already starts process 'responder'" in str(rejected.value)
