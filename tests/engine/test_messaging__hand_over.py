"""Routing off the request: what a request does not route itself within its bound (a number of
messages and a time) is handed to the node's routing threads, which deliver it right after the
answer; without routing threads it is left to the sweep. Nothing is lost either way."""
import time

from engine.commands import Actor, CompleteTask, StartInstance, Sweep

from ..helpers import deploy

BUYER = Actor("anna", "Higab")
TIMEOUT = 30


def _complete_the_order(engine) -> str:
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                         "buyer_organisation": "Higab"}))
    task = engine.queries.instance(started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, {}, BUYER))
    [message] = engine.queries.messages().items
    return message.id


def _responders(engine) -> int:
    return engine.queries.instances(process="responder").total


def test_a_message_handed_over_is_routed_by_the_nodes_threads_right_after_the_answer(make_engine):
    engine = make_engine(inline_routes=0, routing_threads=2)
    message_id = _complete_the_order(engine)

    deadline = time.monotonic() + TIMEOUT
    while engine.queries.message(message_id).status != "started" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.queries.message(message_id).status == "started"
    assert _responders(engine) == 1
    assert engine.execute(Sweep()).messages_routed == 0  # nothing left over, nothing twice


def test_a_request_past_its_time_bound_hands_the_rest_over(make_engine):
    engine = make_engine(inline_route_ms=0.000001, routing_threads=2)
    message_id = _complete_the_order(engine)
    engine.dispose()  # closing waits for what was handed over: routed, not dropped
    assert engine.queries.message(message_id).status == "started"
    assert _responders(engine) == 1


def test_without_routing_threads_what_is_handed_over_waits_for_the_sweep(make_engine):
    engine = make_engine(inline_routes=0, routing_threads=0)
    message_id = _complete_the_order(engine)

    message = engine.queries.message(message_id)
    assert (message.status, message.lease_owner) == ("pending", None)  # free for any node's sweep
    assert _responders(engine) == 0
    assert engine.execute(Sweep()).messages_routed == 1
    assert engine.queries.message(message_id).status == "started"
    assert _responders(engine) == 1
