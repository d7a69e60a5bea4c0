"""One step through the engine against the floor of what a durable step can cost.

Three ways to take the same step (complete the user task of tests/fixtures/loop.bpmn, whose
gateway leads back to it), each on fresh instances of `--steps-per-instance` steps:

1. bare: SpiffWorkflow in memory (the spec parsed once, the workflow kept as an object);
2. durable floor: the bare step + serializing the workflow with the engine's serializer
   (SpiffWorkflow's, zlib level 1) + one UPDATE of that state and one commit through the raw
   driver (sqlite3 with the engine's pragmas, or psycopg), nothing else;
3. the floor with the projection: the floor, plus the statements a completion needs by the
   engine's design, written by hand through the same raw driver on the engine's own schema
   (its indexes included): read the task with its instance, close the task's row, the
   version-checked UPDATE of the state, insert the next task's row, one commit. What is left
   between this and the engine is the engine's own code and SQLAlchemy's;
4. engine: `CompleteTask` through the engine (load from its cache, validate the form, step,
   project the task and wait rows, cut history, serialize, version-checked UPDATE, commit).

Prints medians and p95 per step and the ratios. Goal: engine <= 1.5 x the durable floor.

    python bench/durable_floor.py [--database sqlite|postgresql://postgres@127.0.0.1:5432/postgres]
                                  [--instances 20] [--steps-per-instance 25] [--without-inbox-indexes]
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import datetime

from _common import FIXTURES, deploy, fresh_engine, machine, p95
from sqlalchemy import text

from engine.commands import Actor, CompleteTask, StartInstance
from engine.models import INBOX_INDEXES
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


class Driver:
    """A connection of the raw driver (sqlite3 with the engine's pragmas, or psycopg), with
    transactions begun and committed by hand."""

    def __init__(self, database: str, sqlite_path: str, schema: str | None = None) -> None:
        self.sqlite = database == "sqlite"
        if self.sqlite:
            self.connection = sqlite3.connect(sqlite_path, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                self.connection.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            self.connection = psycopg.connect(database, **({"options": f"-csearch_path={schema}"} if schema else {}))
            self.mark = "%s"

    def _begin(self) -> None:
        if self.sqlite:
            self.connection.execute("BEGIN")

    def _commit(self) -> None:
        self.connection.commit() if not self.sqlite else self.connection.execute("COMMIT")


class RawDriver(Driver):
    """One row of state per instance, written and committed through the driver itself."""

    def __init__(self, database: str) -> None:
        super().__init__(database, f"{tempfile.mkdtemp()}/floor.db")
        self._run("DROP TABLE IF EXISTS kedja_floor")
        self._run("CREATE TABLE kedja_floor (id INTEGER PRIMARY KEY, version INTEGER, state BYTEA)"
                  .replace("BYTEA", "BLOB" if self.sqlite else "BYTEA"))

    def _run(self, sql: str, *params) -> None:
        self._begin()
        self.connection.execute(sql, params)
        self._commit()

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


class ProjectedDriver(Driver):
    """The engine's tables (a migrated database), written through the raw driver by hand."""

    def __init__(self, database: str, engine) -> None:
        config = engine.config
        super().__init__(database, config.database_url.removeprefix("sqlite:///"), config.database_schema)
        self.definition_id = self._one("SELECT id FROM process_definitions WHERE key = 'loop'")[0]

    def _one(self, sql: str, *params):
        return self.connection.execute(sql.replace("?", self.mark), params).fetchone()

    def _insert_task(self, task_id: str, instance_id: str, now: str) -> None:
        self.connection.execute(
            "INSERT INTO tasks (id, instance_id, process_key, element_id, name, lane, role, organisation, form_key, "
            "form_version, state, created_at) VALUES (?, ?, 'loop', 'work', 'Arbeta', 'l', 'r', 'Org', 'review', 1, "
            "'open', ?)".replace("?", self.mark), (task_id, instance_id, now))

    def start(self, instance_id: str, task_id: str) -> None:
        now = datetime.now().isoformat(" ")
        self._begin()
        self.connection.execute(
            "INSERT INTO instances (id, definition_id, process_key, status, state, created_at, last_progress_at, "
            "version) VALUES (?, ?, 'loop', 'running', ?, ?, ?, 1)".replace("?", self.mark),
            (instance_id, self.definition_id, b"", now, now))
        self._insert_task(task_id, instance_id, now)
        self._commit()

    def complete(self, task_id: str, state: bytes, next_task_id: str) -> None:
        now = datetime.now().isoformat(" ")
        self._begin()
        organisation, instance_id, version = self._one(
            "SELECT tasks.organisation, instances.id, instances.version FROM tasks JOIN instances "
            "ON instances.id = tasks.instance_id WHERE tasks.id = ? AND tasks.state = 'open'", task_id)
        self.connection.execute("UPDATE tasks SET state = 'completed', completed_by = ?, completed_at = ? "
                                "WHERE id = ?".replace("?", self.mark), ("bench", now, task_id))
        updated = self.connection.execute(
            "UPDATE instances SET state = ?, status = 'running', last_progress_at = ?, version = version + 1 "
            "WHERE id = ? AND version = ?".replace("?", self.mark), (state, now, instance_id, version))
        assert updated.rowcount == 1
        self._insert_task(next_task_id, instance_id, now)
        self._commit()

    def close(self) -> None:
        self.connection.close()


def open_task_id(workflow) -> str:
    from SpiffWorkflow.util.task import TaskState

    return str(next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual).id)


def drop_inbox_indexes(engine) -> None:
    """What the inbox's indexes over open tasks cost a completion: run without them."""
    with engine.sql_engine.begin() as connection:
        for name in INBOX_INDEXES:
            connection.execute(text(f"DROP INDEX {name}"))


def measure_projected_floor(database: str, instances: int, steps: int, without_inbox_indexes: bool) -> list[float]:
    engine, done = fresh_engine(database)
    new, times = bare_workflow(), []
    try:
        deploy(engine, "loop.bpmn")
        if without_inbox_indexes:
            drop_inbox_indexes(engine)
        driver = ProjectedDriver(database, engine)
        for _ in range(instances):
            workflow = new()
            instance_id, task_id = str(uuid.uuid4()), open_task_id(workflow)
            driver.start(instance_id, task_id)
            for _ in range(steps):
                began = time.perf_counter()
                bare_step(workflow)
                next_task_id = open_task_id(workflow)
                driver.complete(task_id, serialize(workflow), next_task_id)
                task_id = next_task_id
                times.append(time.perf_counter() - began)
        driver.close()
    finally:
        done()
    return times


def measure_engine(database: str, instances: int, steps: int, without_inbox_indexes: bool) -> list[float]:
    engine, done = fresh_engine(database)
    times = []
    try:
        deploy(engine, "loop.bpmn")
        if without_inbox_indexes:
            drop_inbox_indexes(engine)
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
    parser.add_argument("--without-inbox-indexes", action="store_true",
                        help="drop the inbox's four indexes over open tasks first (what they cost a completion)")
    args = parser.parse_args()
    print(f"machine: {machine()}; database: {args.database.split('@')[-1]}"
          + ("; without the inbox's indexes over open tasks" if args.without_inbox_indexes else ""))
    database, instances, steps, dropped = (args.database, args.instances, args.steps_per_instance,
                                           args.without_inbox_indexes)
    figures = {}
    for name, run in (("bare", lambda: measure_bare(instances, steps)),
                      ("floor", lambda: measure_floor(database, instances, steps)),
                      ("floor + projection", lambda: measure_projected_floor(database, instances, steps, dropped)),
                      ("engine", lambda: measure_engine(database, instances, steps, dropped))):
        times = run()
        figures[name] = statistics.median(times) * 1000
        print(f"  {name:18s} median {figures[name]:6.2f} ms   p95 {p95(times) * 1000:6.2f} ms   "
              f"({len(times)} steps)")
    print(f"floor + projection / durable floor: {figures['floor + projection'] / figures['floor']:.2f}; "
          f"engine / floor + projection: {figures['engine'] / figures['floor + projection']:.2f}")
    print(f"engine / durable floor: {figures['engine'] / figures['floor']:.2f} (goal <= 1.5); "
          f"engine / bare: {figures['engine'] / figures['bare']:.1f}; floor / bare: "
          f"{figures['floor'] / figures['bare']:.1f}")


if __name__ == "__main__":
    main()
