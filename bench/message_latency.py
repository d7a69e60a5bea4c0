"""Message throw -> receiving instance advanced: a message to a waiting instance is routed,
delivered and the receiver's step committed. p95 over 300 messages. Goal: p95 <= 50 ms.

    python bench/message_latency.py [--database postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import statistics
import time

from _common import deploy, fresh_engine, machine, p95

from engine.commands import Actor, CompleteTask, CorrelateMessage, StartInstance

N = 300


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sqlite")
    database = parser.parse_args().database
    engine, done = fresh_engine(database)  # the fixtures' forms, which the diagram names
    deploy(engine, "earmarked_participant.bpmn")
    for n in range(N):
        started = engine.execute(StartInstance("earmarked", {"procurement_id": f"U-{n}", "district": "Angered"}))
        task = engine.queries.instance(started.id)["open_tasks"][0]
        engine.execute(CompleteTask(task.id, {}, Actor("b", "Angered")))
    times = []
    for n in range(N):
        began = time.perf_counter()
        result = engine.execute(CorrelateMessage("requirement_decided", {"procurement_id": f"U-{n}"}, {"places": 1}))
        times.append(time.perf_counter() - began)
        assert result.status == "delivered"
    done()
    print(f"machine: {machine()}; database: {database.split('@')[-1]}")
    print(f"message -> receiver advanced, {N} messages: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {p95(times) * 1000:.1f} ms (goal p95 <= 50 ms)")


if __name__ == "__main__":
    main()
