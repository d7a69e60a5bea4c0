"""User tasks: the inbox of the organisation the lane resolves to; claim, release, complete."""
import pytest

from engine.commands import Actor, ClaimTask, CompleteTask, ReleaseTask, StartInstance
from engine.errors import Forbidden, InvalidInput, InvalidState, NotFound, StepFailed

from ..helpers import deploy

HIGAB_ANNA, HIGAB_BO = Actor("anna", "Higab"), Actor("bo", "Higab")
TRAFIK = Actor("tove", "Trafikkontoret")


@pytest.fixture
def order(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                         "buyer_organisation": "Higab"}))
    return started.id, engine.queries.instance(started.id)["open_tasks"][0]


def test_lane_rule_resolves_the_organisation_from_instance_data(engine, order):
    deploy(engine, "order_requester.bpmn")
    other = engine.execute(StartInstance("requester", {"order_id": "O-2", "amount": 1,
                                                       "buyer_organisation": "Trafikkontoret"}))
    assert [t.instance_id for t in engine.queries.inbox("Higab").items] == [order[0]]
    assert [t.instance_id for t in engine.queries.inbox("Trafikkontoret").items] == [other.id]
    assert engine.queries.inbox("Angered").total == 0


def test_another_organisation_can_neither_claim_nor_complete(engine, order):
    _, task = order
    with pytest.raises(Forbidden):
        engine.execute(ClaimTask(task.id, TRAFIK))
    with pytest.raises(Forbidden):
        engine.execute(CompleteTask(task.id, {}, TRAFIK))
    assert engine.queries.task(task.id).state == "open"


def test_claim_release_and_complete(engine, order):
    instance_id, task = order
    engine.execute(ClaimTask(task.id, HIGAB_ANNA))
    assert engine.queries.inbox("Higab", "anna", scope="mine").total == 1
    with pytest.raises(InvalidState):
        engine.execute(ClaimTask(task.id, HIGAB_BO))
    with pytest.raises(Forbidden):
        engine.execute(CompleteTask(task.id, {}, HIGAB_BO))

    engine.execute(ReleaseTask(task.id, HIGAB_ANNA))
    engine.execute(ClaimTask(task.id, HIGAB_BO))
    engine.execute(CompleteTask(task.id, {"note": "klar"}, HIGAB_BO))

    done = engine.queries.task(task.id)
    assert (done.state, done.completed_by) == ("completed", "bo")
    assert engine.queries.inbox("Higab").total == 0
    assert [t.id for t in engine.queries.instance(instance_id)["history"]] == [task.id]
    with pytest.raises(InvalidState):
        engine.execute(CompleteTask(task.id, {}, HIGAB_ANNA))


def test_bad_input_changes_nothing(engine, order):
    instance_id, task = order
    before = engine.queries.instance(instance_id)["instance"].version
    with pytest.raises(NotFound):
        engine.execute(CompleteTask("no-such-task", {}, HIGAB_ANNA))
    with pytest.raises(InvalidInput):
        engine.execute(CompleteTask(task.id, ["not", "an", "object"], HIGAB_ANNA))
    with pytest.raises(NotFound):
        engine.execute(StartInstance("no_such_process"))
    assert engine.queries.instance(instance_id)["instance"].version == before
    assert engine.queries.messages().total == 0


def test_unresolvable_lane_rule_puts_the_instance_in_error(engine):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    with pytest.raises(StepFailed) as failed:
        engine.execute(StartInstance("requester", {"order_id": "O-3", "amount": 1}))  # no buyer_organisation
    instance = engine.queries.instance(failed.value.instance_id)["instance"]
    assert instance.status == "error"
    assert instance.error_element == "prepare"
    assert "buyer_organisation" in instance.error_message
    # Nothing half-written: no task rows, nothing waited for, no message sent.
    view = engine.queries.instance(instance.id)
    assert view["open_tasks"] == view["history"] == view["waiting_for"] == []
    assert engine.queries.messages().total == 0


def test_form_data_is_validated_and_errors_name_the_field(engine, order):
    _, task = order
    engine.execute(CompleteTask(task.id, {}, HIGAB_ANNA))
    [responder] = engine.queries.instances(process="responder").items
    [quote] = engine.queries.instance(responder.id)["open_tasks"]
    assert engine.queries.task_form(quote.id)["required"] == ["price"]

    with pytest.raises(InvalidInput) as invalid:
        engine.execute(CompleteTask(quote.id, {"price": 0, "colour": "red"}, Actor("sven", "Leverantören AB")))
    assert [(e.field, e.message) for e in invalid.value.fields] == [("colour", "Okänt fält"), ("price", "Minst 1")]
    assert engine.queries.task(quote.id).state == "open"
    engine.execute(CompleteTask(quote.id, {"price": 10}, Actor("sven", "Leverantören AB")))
    assert engine.queries.task(quote.id).state == "completed"
