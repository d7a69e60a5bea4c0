"""A small driver for scenarios: complete tasks as users of the organisation their lane
resolves to, move the clock and let the sweep fire what is due."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from engine.commands import Actor, CompleteTask, Deploy, StartInstance, Sweep
from engine.service import Engine

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
MODEL = ("procurement", "supplier", "target_group")


class Chain:
    def __init__(self, engine: Engine, clock) -> None:
        self.engine, self.clock = engine, clock
        self.completed_by: list[tuple[str, str, str]] = []  # (process, element, organisation)

    def deploy_model(self) -> None:
        self.engine.execute(Deploy(tuple((f"{key}.bpmn", (PROCESSES / f"{key}.bpmn").read_bytes())
                                         for key in MODEL)))

    def start(self, process: str, business_key: str, **data) -> str:
        return self.engine.execute(StartInstance(process, data, business_key=business_key)).id

    def open_tasks(self, instance_id: str) -> list:
        return self.engine.queries.instance(instance_id)["open_tasks"]

    def task(self, instance_id: str, element: str):
        found = [t for t in self.open_tasks(instance_id) if t.element_id == element]
        assert len(found) == 1, f"{element} open {len(found)} times in {self.describe(instance_id)}"
        return found[0]

    def complete(self, instance_id: str, element: str, organisation: str, data: dict | None = None):
        """Complete the task as a user of `organisation`, which must be the one its lane names."""
        task = self.task(instance_id, element)
        assert task.organisation == organisation, f"{element} is for {task.organisation}, not {organisation}"
        self.engine.execute(CompleteTask(task.id, data or {}, Actor(f"user@{organisation}", organisation)))
        self.completed_by.append((task.process_key, element, organisation))
        return task

    def at(self, year: int, month: int, day: int) -> None:
        """Move the clock and run the sweep until nothing more is due."""
        self.clock.set(datetime(year, month, day, 9, 0, tzinfo=timezone.utc))
        while self.engine.execute(Sweep()).timers_fired:
            pass

    def status(self, instance_id: str) -> str:
        return self.engine.queries.instance(instance_id)["instance"].status

    def data(self, instance_id: str) -> dict:
        return self.engine.queries.instance_data(instance_id)

    def elements(self, instance_id: str) -> list[str]:
        return sorted(t.element_id for t in self.open_tasks(instance_id))

    def describe(self, instance_id: str) -> str:
        view = self.engine.queries.instance(instance_id)
        instance = view["instance"]
        return (f"{instance.process_key} {instance.business_key} {instance.status} "
                f"{instance.error_element or ''} {instance.error_message or ''} "
                f"open={[t.element_id for t in view['open_tasks']]} waits={view['waiting_for']}")
