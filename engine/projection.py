"""Spiff state -> the rows that list views and background work read: open user tasks (with
their organisation and due time), what the instance waits for, and its status."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from . import projection_rows as rows
from .assignment import resolve
from .clock import utc_naive
from .models import Instance, InstanceFacts, TaskRow, Wait
from .projection_rows import Rows, WaitKey, WaitRow
from .repository import NewId, Repository
from .spiff import workflow as wf
from .statuses import InstanceStatus, TaskState, WaitKind


@dataclass
class Projected:
    # (message name, correlation key, the row's NewId when this step inserts it) of catches that
    # began waiting in this step
    new_message_waits: list[tuple[str, str, NewId | None]] = field(default_factory=list)
    # The instance's rows as this step leaves them (settled after the flush): the next step's
    # `known`, kept beside the cached workflow.
    rows: Rows = field(default_factory=Rows)


def project(repo: Repository, instance: Instance, workflow, process: wf.CompiledProcess, now: datetime,
            completed_task_id: str | None = None, completed_by: str | None = None,
            revisit: bool = False, new: bool = False, known: Rows | None = None) -> Projected:
    """`revisit`: after a reset or a hold, tasks may open again under ids they had, and every
    waiting catch counts as new (it looks for buffered messages). `new`: the instance was made
    in this transaction, so it has no rows yet to read. `known`: its rows as the step that
    cached its workflow left them (read from the database when not given)."""
    # Its reads need nothing it wrote: without autoflush, the instance row is written once, at
    # commit, with its status and its state together (not once here and again after).
    with repo.session.no_autoflush:
        if new:
            known = Rows(facts=None)
        elif known is None or (process.model.facts and not rows.facts_known(known)):
            known = rows.read(repo.session, instance.id, bool(process.model.facts))
        return _project(repo, instance, workflow, process, now, completed_task_id, completed_by, revisit, new,
                        known)


def _project(repo, instance, workflow, process, now, completed_task_id, completed_by, revisit, new,
             known: Rows) -> Projected:
    stamp = utc_naive(now)
    if revisit:
        open_tasks = _project_tasks_again(repo, instance, workflow, process, now, completed_task_id, completed_by)
    else:
        open_tasks = _project_tasks(repo, instance, workflow, process, now, completed_task_id, completed_by,
                                    known.open_tasks)
    projected = _project_waits(repo, instance, workflow, process, stamp, revisit, known.waits)
    projected.rows.open_tasks = frozenset(open_tasks)
    if wf.is_completed(workflow):
        instance.status, instance.completed_at = InstanceStatus.COMPLETED, stamp
    else:
        instance.status = InstanceStatus.RUNNING if open_tasks else InstanceStatus.WAITING
    instance.error_message = instance.error_element = None
    instance.last_progress_at = stamp
    projected.rows.facts = _project_facts(repo, instance, workflow, process.model.facts, stamp, known.facts) \
        if process.model.facts else known.facts
    return projected


def _project_facts(repo, instance, workflow, names, stamp, known: str | None) -> str:
    data = wf.current_data(workflow)
    facts = json.dumps({name: data.get(name) for name in names}, default=str, ensure_ascii=False)
    if known is None:
        repo.insert_later(InstanceFacts, {"instance_id": instance.id, "process_key": instance.process_key,
                                          "facts": facts, "updated_at": stamp})
    elif known != facts:
        rows.set_facts(repo.session, instance.id, facts, stamp)
    return facts


def _project_tasks(repo, instance, workflow, process, now, completed_task_id, completed_by,
                   open_before: frozenset[str]) -> set[str]:
    """Close the rows of tasks no longer open, add rows for tasks that opened. Returns the ids
    of the open tasks."""
    stamp = utc_naive(now)
    open_now = {task.task_id: task for task in wf.open_user_tasks(workflow)}
    rows.close_tasks(repo.session, [
        {"task_id": task_id, "outcome": wf.task_outcome(workflow, task_id), "at": stamp,
         "by": completed_by if task_id == completed_task_id else None}
        for task_id in sorted(open_before - open_now.keys())])
    for task in open_now.values():
        if task.task_id not in open_before:
            repo.insert_later(TaskRow, _task_row(instance, task, process, now))
    return set(open_now)


def _task_row(instance: Instance, task: wf.OpenUserTask, process: wf.CompiledProcess, now: datetime) -> dict:
    info = process.model.user_tasks.get(task.element_id)
    assignment = resolve(info, task.element_id, task.data)
    due = wf.due_after(info.due_in, task.data, now) if info and info.due_in else None
    return dict(
        id=task.task_id, instance_id=instance.id, process_key=instance.process_key,
        element_id=task.element_id, name=task.name, lane=assignment.lane, role=assignment.role,
        organisation=assignment.organisation, form_key=info.form_key if info else None,
        form_version=process.form_versions.get(info.form_key) if info else None, state=TaskState.OPEN,
        created_at=utc_naive(now), due_at=utc_naive(due) if due else None, claimed_by=None, claimed_at=None,
        completed_by=None, completed_at=None,
    )


def _project_tasks_again(repo, instance, workflow, process, now, completed_task_id, completed_by) -> set[str]:
    """After a reset, a hold or a migration: open rows are refreshed (the element may be
    renamed, or in another lane or form), and a task may open again under an id it had."""
    stamp = utc_naive(now)
    open_now = {task.task_id: task for task in wf.open_user_tasks(workflow)}
    opened = set(open_now)
    for row in repo.open_tasks_of(instance.id):
        if (task := open_now.pop(row.id, None)) is not None:
            _refresh_open_task(row, task, process.model.user_tasks.get(task.element_id), process.form_versions)
            continue
        row.state = wf.task_outcome(workflow, row.id)
        row.completed_at = stamp
        if row.id == completed_task_id:
            row.completed_by = completed_by
    for task in open_now.values():
        reopened = repo.session.get(TaskRow, task.task_id)
        if reopened is not None:  # reset to an earlier task: the same task opens again
            repo.delete(reopened)
            repo.flush()
        repo.insert_later(TaskRow, _task_row(instance, task, process, now))
    return opened


def _refresh_open_task(row: TaskRow, task: wf.OpenUserTask, info, form_versions: dict) -> None:
    assignment = resolve(info, task.element_id, task.data)
    if row.organisation != assignment.organisation:  # another body's task now: nobody's claim
        row.claimed_by = row.claimed_at = None
    row.name, row.lane, row.role = task.name, assignment.lane, assignment.role
    row.organisation, row.form_key = assignment.organisation, info.form_key if info else None
    row.form_version = form_versions.get(row.form_key) if row.form_key else None


def _project_waits(repo, instance, workflow, process, stamp, all_new: bool,
                   before: dict[WaitKey, WaitRow]) -> Projected:
    """Bring the instance's wait rows in line with the workflow, touching only what changed
    (rows keep their id, `since` and lease while the same event keeps waiting)."""
    projected = Projected()
    previous, kept = dict(before), projected.rows.waits
    messages, timers = wf.waits(workflow, process.model)
    for message in messages:
        correlation = wf.correlation_key(message.correlation)
        key = WaitKey(WaitKind.MESSAGE, message.task_id, message.element_id)
        row = previous.pop(key, None)
        if row is None:
            row = WaitRow(_add_wait(repo, instance, WaitKind.MESSAGE, message, stamp, message_name=message.message,
                                    correlation_key=correlation), correlation, None)
        elif row.correlation_key != correlation:  # the data it correlates on changed meanwhile
            rows.change_correlation(repo.session, row.id, correlation)
            row = row._replace(correlation_key=correlation)
        elif not all_new:
            kept[key] = row
            continue
        kept[key] = row
        projected.new_message_waits.append((message.message, correlation,
                                            row.id if isinstance(row.id, NewId) else None))
    for timer in timers:
        due = utc_naive(timer.due)
        key = WaitKey(WaitKind.TIMER, timer.task_id, timer.element_id)
        row = previous.pop(key, None)
        if row is None:
            row = WaitRow(_add_wait(repo, instance, WaitKind.TIMER, timer, stamp, due_at=due), None, due)
        elif row.due_at != due:  # a cycle moved on: the next firing is free to be claimed
            rows.change_due(repo.session, row.id, due)
            row = row._replace(due_at=due)
        kept[key] = row
    rows.drop_waits(repo.session, [row.id for row in previous.values()])
    return projected


def _add_wait(repo, instance, kind: str, event, stamp, message_name=None, correlation_key=None, due_at=None) -> NewId:
    new_id = NewId()
    repo.insert_later(Wait, {
        "instance_id": instance.id, "kind": kind, "element_id": event.element_id, "spiff_task_id": event.task_id,
        "message_name": message_name, "correlation_key": correlation_key, "due_at": due_at, "since": stamp,
        "lease_owner": None, "lease_until": None, "attempts": 0, "last_error": None, "failed_at": None}, new_id)
    return new_id
