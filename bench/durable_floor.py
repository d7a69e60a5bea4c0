"""One step through the engine against the floor of what a durable step can cost.

Three ways to take the same step (complete the user task of tests/fixtures/loop.bpmn, whose
gateway leads back to it), each on fresh instances of `--steps-per-instance` steps:

1. bare: SpiffWorkflow in memory (the spec parsed once, the workflow kept as an object);
2. durable floor: the bare step + serializing the workflow with the engine's serializer
   (SpiffWorkflow's, zlib level 1) + one UPDATE of that state and one commit through the raw
   driver (sqlite3 with the engine's pragmas, or psycopg), nothing else;
3. engine: `CompleteTask` through the engine (load from its cache, validate the form, step,
   project the task and wait rows, cut history, serialize, version-checked UPDATE, commit).

Prints medians and p95 per step and the ratios. Goal: engine <= 1.5 x the durable floor.

    python bench/durable_floor.py [--database sqlite|postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--instances 20] [--steps-per-instance 25]
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time

from _common import FIXTURES, deploy, fresh_engine, machine, p95

from engine.commands import Actor, CompleteTask, StartInstance
from engine.spiff.serialization import serialize

LOOP = FIXTURES / "loop.bpmn"
ACTOR = Actor("bench", "Org")


def bare_workflow():
    """A new loop instance in memory, with SpiffWorkflow's own parser and script engine."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files([str(LOOP)])
    spec, subprocesses = parser.get_spec("loop"), parser.get_subprocess_specs("loop")

    def new():
        workflow = BpmnWorkflow(spec, subprocesses)
        workflow.do_engine_steps()
        return workflow
    return new


def bare_step(workflow) -> None:
    from SpiffWorkflow.util.task import TaskState

    task = next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual)
    task.data["stop"] = False
    task.run()
    workflow.do_engine_steps()


class RawDriver:
    """One row of state per instance, written and committed through the driver itself."""

    def __init__(self, database: str) -> None:
        if database == "sqlite":
            self.connection = sqlite3.connect(f"{tempfile.mkdtemp()}/floor.db", isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                self.connection.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            self.connection = psycopg.connect(database)
            self.mark = "%s"
        self.sqlite = database == "sqlite"
        self._run("DROP TABLE IF EXISTS kedja_floor")
        self._run("CREATE TABLE kedja_floor (id INTEGER PRIMARY KEY, version INTEGER, state BYTEA)"
                  .replace("BYTEA", "BLOB" if self.sqlite else "BYTEA"))

    def _run(self, sql: str, *params) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN")
        self.connection.execute(sql, params)
        self.connection.commit() if not self.sqlite else self.connection.execute("COMMIT")

    def insert(self, instance: int) -> None:
        self._run(f"INSERT INTO kedja_floor VALUES ({self.mark}, 0, NULL)", instance)

    def save(self, instance: int, state: bytes) -> None:
        """The floor's one statement and one commit: the state, version-checked like the engine's."""
        self._run(f"UPDATE kedja_floor SET state = {self.mark}, version = version + 1 WHERE id = {self.mark}",
                  state, instance)

    def close(self) -> None:
        if not self.sqlite:
            self._run("DROP TABLE kedja_floor")
        self.connection.close()


def measure_bare(instances: int, steps: int) -> list[float]:
    new, times = bare_workflow(), []
    for _ in range(instances):
        workflow = new()
        for _ in range(steps):
            began = time.perf_counter()
            bare_step(workflow)
            times.append(time.perf_counter() - began)
    return times


def measure_floor(database: str, instances: int, steps: int) -> list[float]:
    new, driver, times = bare_workflow(), RawDriver(database), []
    try:
        for number in range(instances):
            workflow = new()
            driver.insert(number)
            for _ in range(steps):
                began = time.perf_counter()
                bare_step(workflow)
                driver.save(number, serialize(workflow))
                times.append(time.perf_counter() - began)
    finally:
        driver.close()
    return times


def measure_engine(database: str, instances: int, steps: int) -> list[float]:
    engine, done = fresh_engine(database)
    times = []
    try:
        deploy(engine, "loop.bpmn")
        for _ in range(instances):
            instance_id = engine.execute(StartInstance("loop", {"stop": False})).id
            for _ in range(steps):
                task = engine.queries.instance(instance_id)["open_tasks"][0]
                began = time.perf_counter()
                engine.execute(CompleteTask(task.id, {"stop": False}, ACTOR))
                times.append(time.perf_counter() - began)
    finally:
        done()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--steps-per-instance", type=int, default=25)
    args = parser.parse_args()
    print(f"machine: {machine()}; database: {args.database.split('@')[-1]}")
    figures = {}
    for name, run in (("bare", lambda: measure_bare(args.instances, args.steps_per_instance)),
                      ("floor", lambda: measure_floor(args.database, args.instances, args.steps_per_instance)),
                      ("engine", lambda: measure_engine(args.database, args.instances, args.steps_per_instance))):
        times = run()
        figures[name] = statistics.median(times) * 1000
        print(f"  {name:7s} median {figures[name]:6.2f} ms   p95 {p95(times) * 1000:6.2f} ms   "
              f"({len(times)} steps)")
    print(f"engine / durable floor: {figures['engine'] / figures['floor']:.2f} (goal <= 1.5); "
          f"engine / bare: {figures['engine'] / figures['bare']:.1f}; floor / bare: "
          f"{figures['floor'] / figures['bare']:.1f}")


if __name__ == "__main__":
    main()
