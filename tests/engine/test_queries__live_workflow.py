"""Opening a task reads its data from the live workflow the last step left in this node's cache,
when that is still at the instance's version; otherwise from the stored state. Either way the
caseworker sees the same data."""
import pytest

from engine import queries
from engine.commands import Actor, CompleteTask, CorrelateMessage, DeliverMessage, StartInstance

from ..helpers import deploy

BUYER, SUPPLIER = Actor("buyer", "Higab"), Actor("supplier", None)


def _exchange(engine):
    """A requester that sent its order; the responder it started has its quote task open."""
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    requester = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 3,
                                                           "buyer_organisation": "Higab"})).id
    engine.execute(CompleteTask(engine.queries.instance(requester)["open_tasks"][0].id, {}, BUYER))
    quote = next(t for t in engine.queries.inbox(None).items if t.element_id == "quote")
    return requester, quote


@pytest.fixture
def no_rebuilding(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the workflow was rebuilt from its stored state")
    monkeypatch.setattr(queries, "deserialize", refuse)


def test_a_task_is_read_from_the_workflow_its_step_left(make_engine, monkeypatch):
    here, elsewhere = make_engine(), make_engine()  # elsewhere: a node with nothing cached
    requester, quote = _exchange(here)
    task_from_state, case_from_state = elsewhere.queries.task_data(quote.id), elsewhere.queries.instance_data(requester)
    progress_from_state = elsewhere.queries.element_progress(requester)

    with monkeypatch.context() as patched:
        patched.setattr(queries, "deserialize", lambda *a, **k: pytest.fail("rebuilt from the stored state"))
        assert here.queries.task_data(quote.id) == task_from_state
        assert here.queries.instance_data(requester) == case_from_state
        assert here.queries.element_progress(requester) == progress_from_state  # the case's diagram
    assert task_from_state["request"]["amount"] == 3


def test_what_is_read_is_a_copy(engine, no_rebuilding):
    _requester, quote = _exchange(engine)
    engine.queries.task_data(quote.id)["request"]["amount"] = 1000

    assert engine.queries.task_data(quote.id)["request"]["amount"] == 3


def test_a_case_another_node_moved_is_read_from_its_stored_state(make_engine):
    here, elsewhere = make_engine(), make_engine()
    requester, quote = _exchange(here)
    elsewhere.execute(CompleteTask(quote.id, {"price": 250}, SUPPLIER))  # here's cache is now behind

    assert here.queries.instance_data(requester)["reply"]["price"] == 250


def test_a_delivery_the_case_skips_leaves_its_workflow_cached(engine, no_rebuilding):
    requester, _quote = _exchange(engine)
    other = engine.execute(CorrelateMessage("order_reply", {"order_id": "O-2"}, {"price": 1}, ttl_seconds=3600))
    assert other.status == "buffered"

    assert engine.execute(DeliverMessage(other.message_id, requester)) is not True  # not for this case

    assert "reply" not in engine.queries.instance_data(requester)
