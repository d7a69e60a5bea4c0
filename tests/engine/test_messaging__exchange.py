"""Two processes exchanging three correlated messages through the outbox and the router."""
from engine.commands import Actor, CompleteTask, StartInstance

from ..helpers import deploy

BUYER = Actor("anna", "Higab")
SUPPLIER = Actor("sven", "Leverantören AB")


def _only_open_task(engine, instance_id):
    view = engine.queries.instance(instance_id)
    assert len(view["open_tasks"]) == 1, view["open_tasks"]
    return view["open_tasks"][0]


def _start_requester(engine, order_id, amount=3):
    return engine.execute(StartInstance("requester", {"order_id": order_id, "amount": amount,
                                                      "buyer_organisation": "Higab"}, business_key=order_id))


def test_three_correlated_messages_complete_both_instances(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    requester = _start_requester(engine, "O-1")
    prepare = _only_open_task(engine, requester.id)
    assert (prepare.organisation, prepare.role, prepare.form_key) == ("Higab", "buyer", "order_prepare")

    # Message 1 (order_request) starts the responder through its message start event.
    engine.execute(CompleteTask(prepare.id, {}, BUYER))
    responders = engine.queries.instances(process="responder").items
    assert len(responders) == 1
    quote = _only_open_task(engine, responders[0].id)
    assert quote.organisation == "Leverantören AB"
    assert engine.queries.instance(requester.id)["waiting_for"] == [
        {"kind": "message", "element_id": "wait_reply", "message": "order_reply",
         "correlation": {"order_id": "O-1"}, "since": prepare.created_at}]

    # Message 2 (order_reply) reaches the waiting requester; message 3 (order_confirm) goes back.
    engine.execute(CompleteTask(quote.id, {"price": 120}, SUPPLIER))

    for instance_id in (requester.id, responders[0].id):
        assert engine.queries.instance(instance_id)["instance"].status == "completed"
    assert engine.queries.instance_data(requester.id)["reply"] == {"order_id": "O-1", "price": 120}
    assert engine.queries.instance_data(responders[0].id)["confirmation"] == {"order_id": "O-1", "price": 120}
    messages = engine.queries.messages().items
    assert sorted((m.name, m.status) for m in messages) == [
        ("order_confirm", "delivered"), ("order_reply", "delivered"), ("order_request", "started")]
    linked = engine.queries.instance(requester.id)["linked"]
    assert {(link["direction"], link["message"]) for link in linked} == {
        ("sent", "order_request"), ("sent", "order_confirm"), ("received", "order_reply")}


def test_correlation_keeps_two_conversations_apart(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    first, second = _start_requester(engine, "O-1"), _start_requester(engine, "O-2")
    for requester in (first, second):
        engine.execute(CompleteTask(_only_open_task(engine, requester.id).id, {}, BUYER))
    responders = {engine.queries.instance_data(r.id)["order_id"]: r.id
                  for r in engine.queries.instances(process="responder").items}

    # Answer the second conversation only: the first requester must keep waiting.
    engine.execute(CompleteTask(_only_open_task(engine, responders["O-2"]).id, {"price": 7}, SUPPLIER))
    assert engine.queries.instance(second.id)["instance"].status == "completed"
    assert engine.queries.instance(first.id)["instance"].status == "waiting"
    assert engine.queries.instance_data(second.id)["reply"]["price"] == 7
    assert "reply" not in engine.queries.instance_data(first.id)
