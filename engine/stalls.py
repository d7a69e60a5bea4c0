"""Stall detection: which instances look stuck, and why.

Every rule reads the projections (waits, tasks, instances), never a workflow:
- `message_wait`:   waiting for a message longer than its threshold (which message, which values);
- `timer_overdue`:  a timer past its due time by more than the grace period (the sweep is behind
                    or failing);
- `task_overdue`:   a user task past its due date;
- `task_unclaimed`: a user task nobody has claimed for longer than its threshold;
- `no_progress`:    an active instance that has not moved for longer than its threshold;
- `orphan`:         running or waiting, yet with no task, no message and no timer to wait for;
- `error`:          in error (since its last progress).
Thresholds (seconds) have defaults, and may be set per process (`"procurement"`) or per element
(`"procurement/bids_gateway"`): the most specific wins. A detection replaces the findings in one
transaction; a step of the instance clears its own findings at once (projection.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .clock import utc_naive
from .models import Instance, StallFinding, TaskRow, Wait
from .repository import ACTIVE_STATUSES

DEFAULT_THRESHOLDS = {
    "message_wait": 60 * 86400,
    "timer_overdue": 3600,
    "task_unclaimed": 14 * 86400,
    "no_progress": 90 * 86400,
}
REASONS = ("message_wait", "timer_overdue", "task_overdue", "task_unclaimed", "no_progress", "orphan", "error")


@dataclass(frozen=True)
class Finding:
    instance_id: str
    process_key: str
    reason: str
    element_id: str
    since: datetime
    detail: dict


class Thresholds:
    def __init__(self, overrides: dict | None = None) -> None:
        self.overrides = overrides or {}

    def seconds(self, rule: str, process: str, element: str | None = None) -> float:
        for key in (f"{process}/{element}" if element else None, process):
            if key and rule in self.overrides.get(key, {}):
                return self.overrides[key][rule]
        return self.overrides.get("*", {}).get(rule, DEFAULT_THRESHOLDS[rule])


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    stamp = utc_naive(now)
    instances = {i.id: i for i in session.scalars(select(Instance).where(
        Instance.status.in_(ACTIVE_STATUSES + ("error",))))}
    findings: list[Finding] = []
    busy: set[str] = set()

    for wait in session.scalars(select(Wait)):
        instance = instances.get(wait.instance_id)
        if instance is None or instance.status == "error":
            continue
        busy.add(wait.instance_id)
        if wait.kind == "message":
            limit = thresholds.seconds("message_wait", instance.process_key, wait.element_id)
            if stamp - wait.since > timedelta(seconds=limit):
                findings.append(Finding(instance.id, instance.process_key, "message_wait", wait.element_id,
                                        wait.since, {"message": wait.message_name,
                                                     "correlation": json.loads(wait.correlation_key or "{}")}))
        elif wait.due_at is not None:
            grace = thresholds.seconds("timer_overdue", instance.process_key, wait.element_id)
            if stamp - wait.due_at > timedelta(seconds=grace):
                findings.append(Finding(instance.id, instance.process_key, "timer_overdue", wait.element_id,
                                        wait.due_at, {"due_at": wait.due_at.isoformat() + "+00:00"}))

    for task in session.scalars(select(TaskRow).where(TaskRow.state == "open")):
        instance = instances.get(task.instance_id)
        if instance is None or instance.status == "error":
            continue
        busy.add(task.instance_id)
        detail = {"task_id": task.id, "name": task.name, "organisation": task.organisation}
        if task.due_at is not None and stamp > task.due_at:
            findings.append(Finding(instance.id, instance.process_key, "task_overdue", task.element_id,
                                    task.due_at, {**detail, "due_at": task.due_at.isoformat() + "+00:00"}))
        limit = thresholds.seconds("task_unclaimed", instance.process_key, task.element_id)
        if task.claimed_by is None and stamp - task.created_at > timedelta(seconds=limit):
            findings.append(Finding(instance.id, instance.process_key, "task_unclaimed", task.element_id,
                                    task.created_at, detail))

    for instance in instances.values():
        if instance.status == "error":
            findings.append(Finding(instance.id, instance.process_key, "error", instance.error_element or "",
                                    instance.last_progress_at, {"message": instance.error_message}))
            continue
        if instance.id not in busy:
            findings.append(Finding(instance.id, instance.process_key, "orphan", "", instance.last_progress_at, {}))
        limit = thresholds.seconds("no_progress", instance.process_key)
        if stamp - instance.last_progress_at > timedelta(seconds=limit):
            findings.append(Finding(instance.id, instance.process_key, "no_progress", "", instance.last_progress_at,
                                    {}))
    return findings


def record(session: Session, findings: list[Finding], now: datetime) -> None:
    """Replace the stored findings with these (the caller commits)."""
    session.execute(delete(StallFinding))
    seen = set()
    for f in findings:
        key = (f.instance_id, f.reason, f.element_id)
        if key in seen:  # e.g. one gateway waiting for two messages past their threshold
            continue
        seen.add(key)
        session.add(StallFinding(instance_id=f.instance_id, reason=f.reason, element_id=f.element_id,
                                 process_key=f.process_key, since=f.since,
                                 detail=json.dumps(f.detail, ensure_ascii=False, default=str),
                                 found_at=utc_naive(now)))


def clear(session: Session, instance_id: str) -> None:
    """The instance moved: what was found about it no longer holds."""
    session.execute(delete(StallFinding).where(StallFinding.instance_id == instance_id))
