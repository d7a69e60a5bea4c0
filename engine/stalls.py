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
transaction. A finding keeps the instance's row version it was found at and is shown only while
the instance still has it: a step (any change of the instance) hides it at once, with no
statement of its own, and the next detection drops it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from .clock import utc_naive
from .models import Instance, StallFinding, TaskRow, Wait
from .repository import ACTIVE_STATUSES
from .statuses import InstanceStatus, TaskState, WaitKind

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
    # The instance's row version the rule read: the finding holds until the instance changes.
    version: int | None = None


class Thresholds:
    def __init__(self, overrides: dict | None = None) -> None:
        self.overrides = overrides or {}

    def seconds(self, rule: str, process: str, element: str | None = None) -> float:
        for key in (f"{process}/{element}" if element else None, process):
            if key and rule in self.overrides.get(key, {}):
                return self.overrides[key][rule]
        return self.overrides.get("*", {}).get(rule, DEFAULT_THRESHOLDS[rule])

    def least(self, rule: str) -> float:
        """The smallest threshold of `rule` anywhere: what the database may leave out unread."""
        return min([self.overrides.get("*", {}).get(rule, DEFAULT_THRESHOLDS[rule]),
                    *(rules[rule] for rules in self.overrides.values() if rule in rules)])


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    """Each rule asks the database only for what may be past its smallest threshold (indexed
    columns), then applies the threshold of the row's process and element: a city's whole
    inbox is never read into memory."""
    stamp = utc_naive(now)

    def older_than(rule: str) -> datetime:
        return stamp - timedelta(seconds=thresholds.least(rule))

    active = Instance.status.in_(ACTIVE_STATUSES)
    findings: list[Finding] = []
    # Plain rows, not ORM objects: a city's many findings would otherwise cost seconds to build.
    wait_columns = (Wait.instance_id, Wait.kind, Wait.element_id, Wait.message_name, Wait.correlation_key,
                    Wait.since, Wait.due_at, Instance.process_key, Instance.version)
    for wait in session.execute(
            select(*wait_columns).join(Instance, Instance.id == Wait.instance_id).where(
                active, or_(and_(Wait.kind == WaitKind.MESSAGE, Wait.since < older_than("message_wait")),
                            and_(Wait.kind == WaitKind.TIMER, Wait.due_at < older_than("timer_overdue"))))):
        if wait.kind == WaitKind.MESSAGE:
            limit = thresholds.seconds("message_wait", wait.process_key, wait.element_id)
            if stamp - wait.since > timedelta(seconds=limit):
                findings.append(Finding(wait.instance_id, wait.process_key, "message_wait", wait.element_id, wait.since,
                                        {"message": wait.message_name,
                                         "correlation": json.loads(wait.correlation_key or "{}")},
                                        version=wait.version))
        else:
            grace = thresholds.seconds("timer_overdue", wait.process_key, wait.element_id)
            if stamp - wait.due_at > timedelta(seconds=grace):
                findings.append(Finding(wait.instance_id, wait.process_key, "timer_overdue", wait.element_id,
                                        wait.due_at, {"due_at": wait.due_at.isoformat() + "+00:00"},
                                        version=wait.version))

    task_columns = (TaskRow.id, TaskRow.instance_id, TaskRow.element_id, TaskRow.name, TaskRow.organisation,
                    TaskRow.due_at, TaskRow.claimed_by, TaskRow.created_at, Instance.process_key,
                    Instance.version)
    for task in session.execute(
            select(*task_columns).join(Instance, Instance.id == TaskRow.instance_id).where(
                TaskRow.state == TaskState.OPEN, active,
                or_(TaskRow.due_at < stamp,
                    and_(TaskRow.claimed_by.is_(None), TaskRow.created_at < older_than("task_unclaimed"))))):
        detail = {"task_id": task.id, "name": task.name, "organisation": task.organisation}
        if task.due_at is not None and stamp > task.due_at:
            findings.append(Finding(task.instance_id, task.process_key, "task_overdue", task.element_id,
                                    task.due_at, {**detail, "due_at": task.due_at.isoformat() + "+00:00"},
                                    version=task.version))
        limit = thresholds.seconds("task_unclaimed", task.process_key, task.element_id)
        if task.claimed_by is None and stamp - task.created_at > timedelta(seconds=limit):
            findings.append(Finding(task.instance_id, task.process_key, "task_unclaimed", task.element_id,
                                    task.created_at, detail, version=task.version))

    columns = (Instance.id, Instance.process_key, Instance.last_progress_at, Instance.version)
    for row in session.execute(select(*columns, Instance.error_element, Instance.error_message)
                               .where(Instance.status == InstanceStatus.ERROR)):
        findings.append(Finding(row.id, row.process_key, "error", row.error_element or "", row.last_progress_at,
                                {"message": row.error_message}, version=row.version))
    waits_for_it = select(Wait.id).where(Wait.instance_id == Instance.id).exists()
    task_for_it = select(TaskRow.id).where(TaskRow.instance_id == Instance.id, TaskRow.state == TaskState.OPEN).exists()
    for row in session.execute(select(*columns).where(active, ~waits_for_it, ~task_for_it)):
        findings.append(Finding(row.id, row.process_key, "orphan", "", row.last_progress_at, {},
                                version=row.version))
    for row in session.execute(select(*columns).where(active, Instance.last_progress_at < older_than("no_progress"))):
        if stamp - row.last_progress_at > timedelta(seconds=thresholds.seconds("no_progress", row.process_key)):
            findings.append(Finding(row.id, row.process_key, "no_progress", "", row.last_progress_at, {},
                                    version=row.version))
    return findings


def record(session: Session, findings: list[Finding], now: datetime) -> None:
    """Replace the stored findings with these (the caller commits)."""
    session.execute(delete(StallFinding))
    rows = {}
    for f in findings:  # one per key: e.g. one gateway waiting for two messages past their threshold
        rows.setdefault((f.instance_id, f.reason, f.element_id), {
            "instance_id": f.instance_id, "reason": f.reason, "element_id": f.element_id,
            "process_key": f.process_key, "since": f.since, "found_at": utc_naive(now),
            "detail": json.dumps(f.detail, ensure_ascii=False, default=str), "instance_version": f.version})
    if rows:  # a bulk insert, not one ORM object per finding: a city may have many
        session.execute(insert(StallFinding), list(rows.values()))
