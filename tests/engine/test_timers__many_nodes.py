"""Background work shared by several nodes: each timer fires once; stranded outbox rows are
delivered by the sweep."""
import threading

import pytest

from engine.bus import CommandBus
from engine.commands import Actor, CompleteTask, StartInstance, Sweep

from ..helpers import PG_URL, deploy

TIMEOUT = 60


def _together(work, nodes) -> None:
    """`work(node)` on every node at once, each in a thread; all must end within the timeout."""
    threads = [threading.Thread(target=work, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.skipif(not PG_URL, reason="several nodes share a PostgreSQL database (KEDJA_TEST_DATABASE_URL)")
def test_two_nodes_sweeping_at_once_fire_each_timer_exactly_once(make_engine, clock):
    nodes = [make_engine(), make_engine()]
    deploy(nodes[0], "deadlines.bpmn")
    ids = [nodes[0].execute(StartInstance("deadlines")).id for _ in range(30)]
    clock.advance(days=31)

    reports, barrier = [], threading.Barrier(2, timeout=TIMEOUT)

    def sweep(node):
        barrier.wait()
        reports.append(node.execute(Sweep(limit=7)))  # small batches: the nodes interleave
        while (report := node.execute(Sweep(limit=7))).timers_fired:
            reports.append(report)

    _together(sweep, nodes)

    assert sum(r.timers_fired for r in reports) == 30
    for instance_id in ids:
        view = nodes[0].queries.instance(instance_id)
        assert [t.element_id for t in view["open_tasks"]] == ["report"]


def test_sweep_delivers_an_outbox_message_whose_delivery_after_commit_was_lost(engine, clock, monkeypatch):
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                         "buyer_organisation": "Higab"}))
    task = engine.queries.instance(started.id)["open_tasks"][0]

    monkeypatch.setattr(CommandBus, "drain", lambda self, follow: None)  # as if the node died after commit
    engine.execute(CompleteTask(task.id, {}, Actor("anna", "Higab")))
    [message] = engine.queries.messages().items
    assert message.status == "pending"
    assert engine.queries.instances(process="responder").total == 0
    monkeypatch.undo()

    # The sender's node holds the row's lease; after it runs out, any node's sweep takes it.
    assert engine.execute(Sweep()).messages_routed == 0
    clock.advance(seconds=engine.config.lease_seconds + 1)
    report = engine.execute(Sweep())
    assert report.messages_routed == 1
    assert engine.queries.message(message.id).status == "started"
    assert engine.queries.instances(process="responder").total == 1
    assert engine.execute(Sweep()).messages_routed == 0  # and never again


@pytest.mark.skipif(not PG_URL, reason="several nodes share a PostgreSQL database (KEDJA_TEST_DATABASE_URL)")
def test_nodes_detecting_stalls_at_once_take_turns_and_none_fails(make_engine, clock):
    from engine.commands import DetectStalls

    nodes = [make_engine() for _ in range(4)]
    deploy(nodes[0], "deadlines.bpmn")
    ids = {nodes[0].execute(StartInstance("deadlines")).id for _ in range(20)}
    clock.advance(days=30, hours=2)  # each timer overdue by more than the hour's grace, none fired

    counts, errors, barrier = [], [], threading.Barrier(len(nodes), timeout=TIMEOUT)

    def detect(node):
        barrier.wait()
        try:
            for _ in range(5):
                counts.append(node.execute(DetectStalls()))
        except Exception as err:  # a unique-key clash between two nodes' findings would land here
            errors.append(err)

    _together(detect, nodes)
    assert errors == [] and 20 in counts  # each count is 20 (it ran) or 0 (another node's turn)
    assert set(counts) <= {0, 20}
    findings = nodes[0].queries.stalled(per_page=200).items
    assert sorted(f["instance_id"] for f in findings) == sorted(ids)
    assert {f["reason"] for f in findings} == {"timer_overdue"}
