"""Routing rules: one message to many receivers, buffering, expiry, idempotent ids."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from engine.clock import utc_naive
from engine.commands import Actor, CompleteTask, CorrelateMessage, Deploy, RouteMessage, StartInstance, Sweep
from engine.errors import InvalidInput, NotFound
from engine.models import Message

from ..helpers import deploy, fixture_bytes

DISTRICT = "Angered"
CASEWORKER = Actor("karin", DISTRICT)


def _earmarked(engine, procurement_id, identified=True):
    started = engine.execute(StartInstance("earmarked", {"procurement_id": procurement_id, "district": DISTRICT}))
    if identified:
        task = engine.queries.instance(started.id)["open_tasks"][0]
        engine.execute(CompleteTask(task.id, {}, CASEWORKER))
    return started.id


def _status(engine, instance_id):
    return engine.queries.instance(instance_id)["instance"].status


def _open_elements(engine, instance_id):
    return [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]]


def test_one_message_reaches_every_waiting_instance(engine):
    deploy(engine, "earmarked_participant.bpmn")
    receivers = [_earmarked(engine, "UPH-1") for _ in range(3)]
    other = _earmarked(engine, "UPH-2")

    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-1"},
                                             {"procurement_id": "UPH-1", "kind": "binding", "places": 4}))

    assert result.status == "delivered"
    assert sorted(result.instance_ids) == sorted(receivers)
    for instance_id in receivers:
        assert _open_elements(engine, instance_id) == ["plan"]
        assert engine.queries.instance_data(instance_id)["requirement"]["places"] == 4
    assert _open_elements(engine, other) == []
    assert _status(engine, other) == "waiting"


def test_message_before_its_receiver_waits_is_buffered_then_delivered(engine):
    deploy(engine, "earmarked_participant.bpmn")
    waiting_later = _earmarked(engine, "UPH-7", identified=False)

    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-7"},
                                             {"procurement_id": "UPH-7", "kind": "dialogue"}))
    assert result.status == "buffered"
    assert engine.queries.message(result.message_id).status == "buffered"

    task = engine.queries.instance(waiting_later)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, CASEWORKER))  # now the catch waits

    assert engine.queries.message(result.message_id).status == "delivered"
    assert _open_elements(engine, waiting_later) == ["plan"]
    assert engine.queries.instance_data(waiting_later)["requirement"]["kind"] == "dialogue"


def test_buffered_message_expires_and_stays_visible(engine, clock):
    deploy(engine, "earmarked_participant.bpmn")
    result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "UPH-9"},
                                             {"procurement_id": "UPH-9"}, ttl_seconds=3600))
    assert result.status == "buffered"

    clock.advance(hours=2)
    report = engine.execute(Sweep())
    assert report.messages_expired == 1
    assert engine.queries.message(result.message_id).status == "expired"
    assert [m.id for m in engine.queries.messages(status="expired").items] == [result.message_id]

    late = _earmarked(engine, "UPH-9")  # a receiver that comes after expiry gets nothing
    assert _status(engine, late) == "waiting"
    assert _open_elements(engine, late) == []


def test_duplicate_message_id_is_delivered_once(engine):
    deploy(engine, "earmarked_participant.bpmn")
    receiver = _earmarked(engine, "UPH-3")
    message = CorrelateMessage("requirement_decided", {"procurement_id": "UPH-3"},
                               {"procurement_id": "UPH-3", "places": 1}, message_id="ext-42")

    first = engine.execute(message)
    second_receiver = _earmarked(engine, "UPH-3")  # waits now, but the id was used
    again = engine.execute(message)

    assert (first.status, first.duplicate) == ("delivered", False)
    assert (again.status, again.duplicate, again.instance_ids) == ("delivered", True, (receiver,))
    assert _open_elements(engine, receiver) == ["plan"]
    assert _open_elements(engine, second_receiver) == []
    assert len(engine.queries.messages().items) == 1


def test_message_without_receiver_and_no_ttl_is_refused_and_not_stored(engine):
    deploy(engine, "earmarked_participant.bpmn")
    with pytest.raises(NotFound):
        engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "none"}, {}, ttl_seconds=0))
    assert engine.queries.messages().total == 0


def test_malformed_message_is_refused(engine):
    with pytest.raises(InvalidInput):
        engine.execute(CorrelateMessage("", {"procurement_id": "x"}))
    with pytest.raises(InvalidInput):
        engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": "x"}, ttl_seconds=-1))
    assert engine.queries.messages().total == 0


def _retaining_exchange(engine, then=lambda: None):
    """The order exchange, its reply marked kedja:retain="true"; the requester waits for it.
    `then` runs after the request was thrown (the sweep, where nothing routes after commit)."""
    responder = fixture_bytes("order_responder.bpmn").replace(
        b'name="order_reply"/>', b'name="order_reply" kedja:retain="true"/>')
    engine.execute(Deploy((("order_requester.bpmn", fixture_bytes("order_requester.bpmn")),
                           ("order_responder.bpmn", responder))))
    requester = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                           "buyer_organisation": "Higab"})).id
    engine.execute(CompleteTask(engine.queries.instance(requester)["open_tasks"][0].id, {}, Actor("buyer", "Higab")))
    then()
    quote = next(t for t in engine.queries.inbox(None).items if t.element_id == "quote")
    engine.execute(CompleteTask(quote.id, {"price": 100}, Actor("supplier", None)))
    return requester


def _reply(engine):
    with engine.session_factory() as session:
        return session.scalars(select(Message).where(Message.name == "order_reply")).one()


def test_a_retained_message_is_kept_after_delivery_as_its_thrower_says(engine):
    requester = _retaining_exchange(engine)

    reply = _reply(engine)
    assert (reply.retain, reply.status) == (True, "retained")  # the thrower's step said so on the row
    assert engine.queries.instance_data(requester)["reply"]["price"] == 100  # and the requester got it


def test_a_message_written_before_its_row_said_retained_asks_the_thrower(make_engine):
    """Rows from before migration 0013 have no retain flag: routing asks the thrower's version."""
    engine = make_engine(inline_routes=0, routing_threads=0)  # messages wait for the sweep
    requester = _retaining_exchange(engine, then=lambda: engine.execute(Sweep()))  # routes the request
    with engine.session_factory() as session:
        session.execute(update(Message).where(Message.status == "pending").values(retain=None))
        session.commit()
    assert _reply(engine).retain is None

    engine.execute(Sweep())

    assert _reply(engine).status == "retained"
    assert engine.queries.instance_data(requester)["reply"]["price"] == 100  # and the requester got it


def _as_thrown(engine, message):
    """The message's row as its thrower's step wrote it: pending, leased to this node."""
    row = SimpleNamespace(**{column.name: getattr(message, column.name) for column in Message.__table__.columns})
    row.status, row.lease_owner = "pending", engine.config.node_name
    row.lease_until = utc_naive(engine.now() + timedelta(minutes=5))
    return row


def test_a_message_routed_from_its_throwers_row_is_not_delivered_again_once_closed(make_engine):
    """Right after its thrower's commit a message is routed from the row that step wrote, not
    read again. If another transaction closed it meanwhile, the receiver's step is rolled back:
    the receiver does not get the message a second time."""
    engine = make_engine(inline_routes=0, routing_threads=0)  # nothing routes after commit here
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    requester = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                           "buyer_organisation": "Higab"})).id
    engine.execute(CompleteTask(engine.queries.instance(requester)["open_tasks"][0].id, {}, Actor("buyer", "Higab")))
    engine.execute(Sweep())  # the request starts the responder
    quote = next(t for t in engine.queries.inbox(None).items if t.element_id == "quote")
    engine.execute(CompleteTask(quote.id, {"price": 100}, Actor("supplier", None)))
    reply = _reply(engine)
    as_thrown = _as_thrown(engine, reply)
    with engine.session_factory() as session:  # another node routed it first
        session.execute(update(Message).where(Message.id == reply.id).values(status="delivered"))
        session.commit()

    assert engine.execute(RouteMessage(reply.id, as_thrown)) == "delivered"

    assert engine.queries.instance(requester)["instance"].status == "waiting"  # still for the reply
    assert "reply" not in engine.queries.instance_data(requester)


def test_a_message_that_started_a_case_starts_no_second_one_from_its_throwers_row(make_engine):
    """The same for a message that starts a process: once it has started a case, routing it
    again from the row its thrower wrote starts no second case."""
    engine = make_engine(inline_routes=0, routing_threads=0)  # nothing routes after commit here
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    requester = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                           "buyer_organisation": "Higab"})).id
    engine.execute(CompleteTask(engine.queries.instance(requester)["open_tasks"][0].id, {}, Actor("buyer", "Higab")))
    with engine.session_factory() as session:
        request = session.scalars(select(Message).where(Message.name == "order_request")).one()
    as_thrown = _as_thrown(engine, request)
    engine.execute(Sweep())  # routed: it starts the responder
    assert engine.queries.instances(process="responder").total == 1

    assert engine.execute(RouteMessage(request.id, as_thrown)) == "started"

    assert engine.queries.instances(process="responder").total == 1  # not a second case
