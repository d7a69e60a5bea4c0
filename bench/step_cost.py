"""Cost of one step after 10 vs after 1,000 completed tasks in one instance.

A loop process (a user task that loops back) is completed N times; then the time of one more
completion is measured (median of 50), after a warm-up instance. Goal: ratio <= 1.5. Measured
with the default (history cut 40 levels above what is live: see engine/workflow_history.py) and
with the whole history kept in the saved state (KEDJA_HISTORY_LEVELS=0).

    python bench/step_cost.py
"""
from __future__ import annotations

import statistics
import time

from _common import FIXTURES, fresh_engine, machine

from engine.commands import Actor, CompleteTask, Deploy, StartInstance

LOOP = (FIXTURES / "loop.bpmn").read_text(encoding="utf-8")
ACTOR = Actor("bench", "Org")


def step_time_after(engine, history: int) -> float:
    started = engine.execute(StartInstance("loop", {"stop": False}))
    for _ in range(history):
        task = engine.queries.instance(started.id)["open_tasks"][0]
        engine.execute(CompleteTask(task.id, {"stop": False}, ACTOR))
    times = []
    for _ in range(50):
        task = engine.queries.instance(started.id)["open_tasks"][0]
        began = time.perf_counter()
        engine.execute(CompleteTask(task.id, {"stop": False}, ACTOR))
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    print(f"machine: {machine()}")
    for levels, label in ((40, "default, history cut to 40 levels"),
                          (0, "whole history kept (KEDJA_HISTORY_LEVELS=0)")):
        engine, done = fresh_engine("sqlite", history_levels=levels)
        engine.execute(Deploy((("loop.bpmn", LOOP),)))
        step_time_after(engine, 30)  # warm-up: statement caches, parsed specs
        small, large = step_time_after(engine, 10), step_time_after(engine, 1000)
        done()
        print(f"{label}: one step after 10 completed tasks {small * 1000:.2f} ms, "
              f"after 1,000 {large * 1000:.2f} ms; ratio {large / small:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
