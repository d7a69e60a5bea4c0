"""Cost of one step after 10 vs after 1,000 completed tasks in one instance.

A loop process (a user task that loops back) is completed 1,000 times in one instance. Then, 50
rounds each time one step of that instance and one step of a new instance after its 10th
completed task, alternately, so that both are measured on the same database (its size, its
write-ahead log) and only the instance's own history differs; medians are compared. Goal:
ratio <= 1.5. Measured with the default (history cut: see engine/spiff/history.py) and with
the whole history kept in the saved state (KEDJA_HISTORY_LEVELS=0).

    python bench/step_cost.py
"""
from __future__ import annotations

import statistics
import time

from _common import FIXTURES, fresh_engine, machine

from engine.commands import Actor, CompleteTask, Deploy, StartInstance
from engine.config import EngineConfig

LOOP = (FIXTURES / "loop.bpmn").read_text(encoding="utf-8")
ACTOR = Actor("bench", "Org")
ROUNDS = 50


def complete_next(engine, instance_id: str) -> float:
    task = engine.queries.instance(instance_id)["open_tasks"][0]
    began = time.perf_counter()
    engine.execute(CompleteTask(task.id, {"stop": False}, ACTOR))
    return time.perf_counter() - began


def instance_after(engine, completed: int) -> str:
    instance_id = engine.execute(StartInstance("loop", {"stop": False})).id
    for _ in range(completed):
        complete_next(engine, instance_id)
    return instance_id


def measure(levels: int) -> tuple[float, float]:
    engine, done = fresh_engine("sqlite", history_levels=levels)
    engine.execute(Deploy((("loop.bpmn", LOOP),)))
    instance_after(engine, 30)  # warm-up: statement caches, parsed specs
    long_lived = instance_after(engine, 1000)
    small, large = [], []
    for _ in range(ROUNDS):
        small.append(complete_next(engine, instance_after(engine, 10)))
        large.append(complete_next(engine, long_lived))
    done()
    return statistics.median(small), statistics.median(large)


def main() -> None:
    print(f"machine: {machine()}")
    default = EngineConfig().history_levels
    for levels, label in ((default, f"default, history cut to {default} levels"),
                          (0, "whole history kept (KEDJA_HISTORY_LEVELS=0)")):
        small, large = measure(levels)
        print(f"{label}: one step after 10 completed tasks {small * 1000:.2f} ms, "
              f"after 1,000 {large * 1000:.2f} ms; ratio {large / small:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
