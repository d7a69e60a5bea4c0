"""Engine overhead: the same multi-instance message exchange run twice.

1. bare SpiffWorkflow in memory: specs parsed once, workflows kept as objects, messages
   handed from one workflow to the other by a dict lookup on the correlation value;
2. the Kedja engine with SQLite persistence: every step loads and saves the instance,
   keeps the task and wait projections, writes the outbox and routes each message in its
   own transaction.

Each conversation: a requester instance, a user task, message 1 starts a responder instance
(message start event), a user task there, message 2 back, message 3 forth; both complete.

    python bench/engine_overhead.py [--conversations 200]
Goal: engine / bare <= 2.0.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import migrate  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.commands import Actor, CompleteTask, Deploy, StartInstance  # noqa: E402
from engine.config import EngineConfig  # noqa: E402
from engine.service import Engine  # noqa: E402

FILES = [ROOT / "tests" / "fixtures" / "order_requester.bpmn", ROOT / "tests" / "fixtures" / "order_responder.bpmn"]
BUYER, SUPPLIER = Actor("anna", "Higab"), Actor("sven", "Leverantören AB")


def bare(conversations: int) -> float:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(f) for f in FILES])
    specs = {key: (parser.get_spec(key), parser.get_subprocess_specs(key)) for key in ("requester", "responder")}

    def user_task(workflow):
        return next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual)

    def deliver(workflow, event):
        for task in workflow.get_tasks(state=TaskState.WAITING):
            if getattr(task.task_spec, "event_definition", None) == event.event_definition:
                task.task_spec.catch(task, event)
                task.task_spec._update(task)
                workflow.do_engine_steps()
                return
        raise AssertionError("no receiver")

    started = time.perf_counter()
    for n in range(conversations):
        order_id = f"O-{n}"
        requester = BpmnWorkflow(*specs["requester"])
        for task in requester.get_tasks(state=TaskState.READY):
            task.data.update({"order_id": order_id, "amount": 3, "buyer_organisation": "Higab"})
        requester.do_engine_steps()
        task = user_task(requester)
        task.run()
        requester.do_engine_steps()
        [request] = requester.get_events()
        responder = BpmnWorkflow(*specs["responder"])
        responder.do_engine_steps()
        deliver(responder, request)
        task = user_task(responder)
        task.data["price"] = 100
        task.run()
        responder.do_engine_steps()
        [reply] = responder.get_events()
        deliver(requester, BpmnEvent(reply.event_definition, reply.payload, reply.correlations))
        [confirm] = requester.get_events()
        deliver(responder, confirm)
        assert requester.completed and responder.completed
    return time.perf_counter() - started


def with_engine(conversations: int, database_url: str) -> float:
    forms = str(ROOT / "tests" / "fixtures" / "forms")
    engine = Engine(EngineConfig(database_url=database_url, forms_dir=forms), FrozenClock())
    migrate.upgrade(engine.sql_engine)
    engine.execute(Deploy(tuple((f.name, f.read_bytes()) for f in FILES)))

    started = time.perf_counter()
    for n in range(conversations):
        order_id = f"O-{n}"
        requester = engine.execute(StartInstance("requester", {"order_id": order_id, "amount": 3,
                                                               "buyer_organisation": "Higab"}))
        [task] = engine.queries.instance(requester.id)["open_tasks"]
        engine.execute(CompleteTask(task.id, {}, BUYER))
        [quote] = engine.queries.inbox("Leverantören AB").items
        engine.execute(CompleteTask(quote.id, {"price": 100}, SUPPLIER))
    elapsed = time.perf_counter() - started
    assert engine.queries.instances(status="completed").total == 2 * conversations
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args()
    n = args.conversations
    bare(5)  # warm up imports and caches for both
    with tempfile.TemporaryDirectory() as tmp:
        with_engine(5, f"sqlite:///{os.path.join(tmp, 'warm.db')}")
        engine_s = with_engine(n, f"sqlite:///{os.path.join(tmp, 'bench.db')}")
    bare_s = bare(n)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"conversations: {n} (2 instances, 2 user tasks, 3 messages each)")
    print(f"bare SpiffWorkflow in memory: {bare_s:.3f} s ({bare_s / n * 1000:.2f} ms per conversation)")
    print(f"Kedja engine, SQLite:         {engine_s:.3f} s ({engine_s / n * 1000:.2f} ms per conversation)")
    print(f"ratio engine / bare: {engine_s / bare_s:.2f}x (goal <= 2.0x)")


if __name__ == "__main__":
    main()
