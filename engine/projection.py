"""Spiff state -> the rows that list views and background work read: open user tasks (with
their organisation and due time), what the instance waits for, and its status."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from . import stalls
from .assignment import resolve
from .clock import utc_naive
from .models import Instance, InstanceFacts, TaskRow, Wait
from .repository import Repository
from .spiff import workflow as wf
from .statuses import InstanceStatus, TaskState, WaitKind


@dataclass
class Projected:
    # (message name, correlation key) of catches that began waiting in this step
    new_message_waits: list[tuple[str, str]] = field(default_factory=list)


def project(repo: Repository, instance: Instance, workflow, process: wf.CompiledProcess, now: datetime,
            completed_task_id: str | None = None, completed_by: str | None = None,
            revisit: bool = False, new: bool = False) -> Projected:
    """`revisit`: after a reset or a hold, tasks may open again under ids they had, and every
    waiting catch counts as new (it looks for buffered messages). `new`: the instance was made
    in this transaction, so it has no rows yet to read."""
    # Its reads need nothing it wrote: without autoflush, the instance row is written once, at
    # commit, with its status and its state together (not once here and again after).
    with repo.session.no_autoflush:
        return _project(repo, instance, workflow, process, now, completed_task_id, completed_by, revisit, new)


def _project(repo, instance, workflow, process, now, completed_task_id, completed_by, revisit, new) -> Projected:
    stamp = utc_naive(now)
    open_tasks = _project_tasks(repo, instance, workflow, process, now, completed_task_id, completed_by,
                                revisit, new)
    projected = _project_waits(repo, instance, workflow, process, stamp, revisit, new)
    if wf.is_completed(workflow):
        instance.status, instance.completed_at = InstanceStatus.COMPLETED, stamp
    else:
        instance.status = InstanceStatus.RUNNING if open_tasks else InstanceStatus.WAITING
    instance.error_message = instance.error_element = None
    instance.last_progress_at = stamp
    if not new:
        stalls.clear(repo.session, instance.id)  # it moved
    if process.model.facts:
        _project_facts(repo, instance, workflow, process.model.facts, stamp, new)
    return projected


def _project_facts(repo, instance, workflow, names, stamp, new) -> None:
    data = wf.current_data(workflow)
    facts = json.dumps({name: data.get(name) for name in names}, default=str, ensure_ascii=False)
    row = None if new else repo.facts_of(instance.id)
    if row is None:
        repo.add(InstanceFacts(instance_id=instance.id, process_key=instance.process_key, facts=facts,
                               updated_at=stamp))
    elif row.facts != facts:
        row.facts, row.updated_at = facts, stamp


def _project_tasks(repo, instance, workflow, process, now, completed_task_id, completed_by, revisit, new) -> int:
    stamp = utc_naive(now)
    open_now = {task.task_id: task for task in wf.open_user_tasks(workflow)}
    still_open = 0
    for row in [] if new else repo.open_tasks_of(instance.id):
        if (task := open_now.pop(row.id, None)) is not None:
            still_open += 1
            if revisit:  # after a migration the element may be renamed, or in another lane or form
                _refresh_open_task(row, task, process.model.user_tasks.get(task.element_id), process.form_versions)
            continue
        row.state = wf.task_outcome(workflow, row.id)
        row.completed_at = stamp
        if row.id == completed_task_id:
            row.completed_by = completed_by
    for task in open_now.values():
        info = process.model.user_tasks.get(task.element_id)
        assignment = resolve(info, task.element_id, task.data)
        due = wf.due_after(info.due_in, task.data, now) if info and info.due_in else None
        reopened = repo.session.get(TaskRow, task.task_id) if revisit else None
        if reopened is not None:  # reset to an earlier task: the same task opens again
            repo.delete(reopened)
            repo.flush()
        repo.add(TaskRow(
            id=task.task_id, instance_id=instance.id, process_key=instance.process_key,
            element_id=task.element_id, name=task.name, lane=assignment.lane, role=assignment.role,
            organisation=assignment.organisation, form_key=info.form_key if info else None,
            form_version=process.form_versions.get(info.form_key) if info else None, state=TaskState.OPEN,
            created_at=stamp, due_at=utc_naive(due) if due else None,
        ))
    return still_open + len(open_now)


def _refresh_open_task(row: TaskRow, task: wf.OpenUserTask, info, form_versions: dict) -> None:
    assignment = resolve(info, task.element_id, task.data)
    if row.organisation != assignment.organisation:  # another body's task now: nobody's claim
        row.claimed_by = row.claimed_at = None
    row.name, row.lane, row.role = task.name, assignment.lane, assignment.role
    row.organisation, row.form_key = assignment.organisation, info.form_key if info else None
    row.form_version = form_versions.get(row.form_key) if row.form_key else None


def _project_waits(repo, instance, workflow, process, stamp, all_new: bool, new: bool) -> Projected:
    """Bring the instance's wait rows in line with the workflow, touching only what changed
    (rows keep their id, `since` and lease while the same event keeps waiting)."""
    projected = Projected()
    # An event-based gateway is one task that waits for several events: key by element too.
    previous = {} if new else {(w.kind, w.spiff_task_id, w.element_id): w for w in repo.waits_of(instance.id)}
    messages, timers = wf.waits(workflow, process.model)
    for message in messages:
        key = wf.correlation_key(message.correlation)
        row = previous.pop((WaitKind.MESSAGE, message.task_id, message.element_id), None)
        if row is None:
            repo.add(Wait(instance_id=instance.id, kind=WaitKind.MESSAGE, element_id=message.element_id,
                          spiff_task_id=message.task_id, message_name=message.message, correlation_key=key,
                          since=stamp))
        elif row.correlation_key != key:  # the data it correlates on changed meanwhile
            row.correlation_key = key
        elif not all_new:
            continue
        projected.new_message_waits.append((message.message, key))
    for timer in timers:
        due = utc_naive(timer.due)
        row = previous.pop((WaitKind.TIMER, timer.task_id, timer.element_id), None)
        if row is None:
            repo.add(Wait(instance_id=instance.id, kind=WaitKind.TIMER, element_id=timer.element_id,
                          spiff_task_id=timer.task_id, due_at=due, since=stamp))
        elif row.due_at != due:  # a cycle moved on: the next firing is free to be claimed
            row.due_at, row.lease_owner, row.lease_until = due, None, None
    for row in previous.values():
        repo.delete(row)
    return projected
