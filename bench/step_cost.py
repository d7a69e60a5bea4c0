"""Cost of one step after 10 vs after 1,000 completed tasks in one instance.

A loop process (a user task that loops back) is completed N times; then the time of one more
completion is measured (median of 50), after a warm-up instance. Goal: ratio <= 1.5. The saved
state keeps `history_levels` (default 40) levels of completed history above what is live, so
the step after 1,000 tasks loads and writes about as much as the step after 10.

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
    engine, done = fresh_engine("sqlite")
    engine.execute(Deploy((("loop.bpmn", LOOP),)))
    step_time_after(engine, 30)  # warm-up: statement caches, parsed specs
    small, large = step_time_after(engine, 10), step_time_after(engine, 1000)
    done()
    print(f"machine: {machine()}")
    print(f"one step after 10 completed tasks:    {small * 1000:.2f} ms")
    print(f"one step after 1,000 completed tasks: {large * 1000:.2f} ms")
    print(f"ratio: {large / small:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
