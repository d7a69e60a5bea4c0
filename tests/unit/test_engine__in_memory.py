"""The engine's rules without a database file: projection (tasks, organisations, waits, status),
correlation, assignment by lane, and the stall rules, each in milliseconds."""
from datetime import timedelta

import pytest

from engine.assignment import AssignmentFailed, resolve
from engine.clock import utc_naive
from engine.commands import Actor, CompleteTask, CorrelateMessage, StartInstance
from engine.definitions import LaneRule, UserTaskInfo
from engine.models import Instance, TaskRow, Wait
from engine.spiff.serialization import state_json
from engine.spiff.workflow import correlation_key
from engine.stalls import Thresholds, detect
from engine.statuses import InstanceStatus, TaskState, WaitKind

from ..helpers import deploy

BUYER = Actor("berit", "Higab")


def _open_tasks(engine, instance_id):
    with engine.session_factory() as session:
        return session.query(TaskRow).filter_by(instance_id=instance_id, state=TaskState.OPEN).all()


def _waits(engine, instance_id):
    with engine.session_factory() as session:
        return [(w.kind, w.message_name) for w in session.query(Wait).filter_by(instance_id=instance_id)]


def _start(engine, order_id):
    return engine.execute(StartInstance("requester", {"order_id": order_id, "buyer_organisation": "Higab",
                                                      "supplier_organisation": "Bygg AB", "amount": 10}))


def test_a_started_case_has_its_task_in_the_lanes_organisation_and_is_running(memory_engine):
    deploy(memory_engine, "order_requester.bpmn", "order_responder.bpmn")
    started = _start(memory_engine, "O-1")
    [task] = _open_tasks(memory_engine, started.id)
    assert (task.element_id, task.organisation, task.form_key) == ("prepare", "Higab", "order_prepare")
    assert task.due_at == utc_naive(memory_engine.now() + timedelta(days=5))  # kedja:dueIn P5D
    assert memory_engine.queries.instance(started.id)["instance"].status == InstanceStatus.RUNNING


def test_completing_leaves_the_case_waiting_for_its_reply_and_starts_the_receiver(memory_engine):
    deploy(memory_engine, "order_requester.bpmn", "order_responder.bpmn")
    started = _start(memory_engine, "O-1")
    [task] = _open_tasks(memory_engine, started.id)
    memory_engine.execute(CompleteTask(task.id, {}, BUYER))
    assert _waits(memory_engine, started.id) == [(WaitKind.MESSAGE, "order_reply")]
    assert memory_engine.queries.instance(started.id)["instance"].status == InstanceStatus.WAITING
    [responder] = memory_engine.queries.instances(process="responder").items
    [quote] = _open_tasks(memory_engine, responder.id)
    assert quote.organisation == "Leverantören AB"  # the responder's lane names it


def test_correlation_compares_values_as_text_and_keeps_cases_apart(memory_engine):
    assert correlation_key({"order_id": 42}) == correlation_key({"order_id": 42.0}) == correlation_key(
        {"order_id": "42"})
    assert correlation_key({"a": 1, "b": 2}) == correlation_key({"b": 2, "a": 1})
    deploy(memory_engine, "order_requester.bpmn", "order_responder.bpmn")
    first, second = _start(memory_engine, "O-1"), _start(memory_engine, "O-2")
    for case in (first, second):
        [task] = _open_tasks(memory_engine, case.id)
        memory_engine.execute(CompleteTask(task.id, {}, BUYER))
    memory_engine.execute(CorrelateMessage("order_reply", {"order_id": "O-2"}, {"order_id": "O-2", "price": 7}))
    assert memory_engine.queries.instance(second.id)["instance"].status == InstanceStatus.COMPLETED
    assert memory_engine.queries.instance(first.id)["instance"].status == InstanceStatus.WAITING


LANE = LaneRule("lane_district", "district", "district")


def test_a_lane_names_the_organisation_from_the_cases_own_data():
    info = UserTaskInfo("assess", "Bedöm", "assess", None, LANE)
    assert resolve(info, "assess", {"district": " Angered "}).organisation == "Angered"
    assert resolve(None, "assess", {}).organisation is None  # no lane: nobody's inbox by lane


@pytest.mark.parametrize("data", [{}, {"district": ""}, {"district": 7}])
def test_a_lane_rule_that_gives_no_organisation_fails_the_step_naming_the_element(data):
    with pytest.raises(AssignmentFailed) as failed:
        resolve(UserTaskInfo("assess", "Bedöm", "assess", None, LANE), "assess", data)
    assert failed.value.element_id == "assess"


def test_the_stall_rules_find_what_waited_past_its_threshold_and_nothing_younger(memory_engine):
    now = utc_naive(memory_engine.now())
    old, young = now - timedelta(days=70), now - timedelta(hours=1)  # the default: 60 days
    with memory_engine.session_factory() as session:
        for instance_id, status, since in (("i-old", InstanceStatus.WAITING, old),
                                           ("i-young", InstanceStatus.WAITING, young),
                                           ("i-error", InstanceStatus.ERROR, young)):
            session.add(Instance(id=instance_id, definition_id=1, process_key="p", status=status, state=b"",
                                 created_at=since, last_progress_at=since, error_element="script_1",
                                 error_message="boom"))
        session.add(Wait(instance_id="i-old", kind=WaitKind.MESSAGE, spiff_task_id="t1", element_id="wait_reply",
                         message_name="order_reply", correlation_key="{}", since=old))
        session.add(Wait(instance_id="i-young", kind=WaitKind.MESSAGE, spiff_task_id="t2", element_id="wait_reply",
                         message_name="order_reply", correlation_key="{}", since=young))
        session.commit()
        found = {(f.instance_id, f.reason) for f in detect(session, memory_engine.now(), Thresholds())}
    assert ("i-old", "message_wait") in found and ("i-error", "error") in found
    assert not any(instance_id == "i-young" for instance_id, _ in found)
    with memory_engine.session_factory() as session:  # a per-process threshold longer than the wait
        found = {(f.instance_id, f.reason)
                 for f in detect(session, memory_engine.now(), Thresholds({"p": {"message_wait": 90 * 86400}}))}
    assert ("i-old", "message_wait") not in found


def test_the_state_is_stored_compressed_and_a_state_stored_plain_still_runs(memory_engine):
    deploy(memory_engine, "order_requester.bpmn", "order_responder.bpmn")
    started = _start(memory_engine, "O-1")
    with memory_engine.session_factory() as session:
        row = session.get(Instance, started.id)
        plain = state_json(row.state)
        assert row.state[:1] != b"{" and len(row.state) < len(plain) / 2
        row.state = plain  # as an earlier version wrote it (a new row version: the cache is not used)
        session.commit()
    [task] = _open_tasks(memory_engine, started.id)
    memory_engine.execute(CompleteTask(task.id, {}, BUYER))
    assert memory_engine.queries.instance(started.id)["instance"].status == InstanceStatus.WAITING
