"""One step of one instance, inside the command's unit of work: load the instance (from the
workflow cache when its version is current), let the command move it, project what it now
waits for, write its outbox and its state. The bus commits; a failure in the diagram's own
logic is raised as DiagramFailed and recorded on the instance after the rollback."""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Callable

from .bus import CommandContext, DiagramFailed
from .clock import utc_naive
from .errors import ConcurrentUpdate
from .models import Instance, Message
from .projection import project
from .spiff import workflow as wf
from .spiff.history import prune_history
from .statuses import InstanceStatus, MessageStatus
from .uow import SKIP, UnitOfWork, diagram_outcome

log = logging.getLogger("kedja.engine")
# History is cut when a tree holds PRUNE_AT times the kept levels in tasks, and has grown by
# PRUNE_GROWTH tasks since its last cut (what a cut keeps, the chain of earlier elements and the
# carriers, can stay above the first bound): rarely, so the cut's own walk over the tree costs
# little per step, and often enough that the tree stays small.
PRUNE_AT = 2
PRUNE_GROWTH = 10


@dataclass(frozen=True)
class CompletedTask:
    """What completing a user task returns (its step then projects the task as completed)."""

    task_id: str
    instance_id: str
    # The task's row as the step left it (completed, by whom, when): callers answer from it
    # instead of reading it again.
    row: Any = None


def step(ctx: CommandContext, locate: str | Callable[[UnitOfWork], str], operate: Callable, *,
         completed_by: str | None = None, rewait: bool = False, final_status: str | None = None) -> Any:
    """Load the instance, let `operate(uow, instance, workflow)` move it, project and save it.

    `locate` is the instance id, or a function that finds it (and may refuse) in the same
    transaction. `operate` raises an EngineError to refuse (nothing is written) or returns
    SKIP, before it changed the workflow (which then goes back to the cache as it was). Any
    other exception is a failed step (DiagramFailed). `rewait` looks for buffered
    messages for every catch that waits (not only new ones: after a hold); `final_status`
    overrides the status the projection derives (terminate)."""
    uow = ctx.uow
    instance_id = locate(uow) if callable(locate) else locate
    instance = uow.repo.instance(instance_id)
    process = ctx.processes.get(instance.definition_id, uow.repo)
    read_version = instance.version
    workflow, known = ctx.workflows.take(instance_id, read_version, instance.definition_id)
    if workflow is None:
        workflow = wf.deserialize(instance.state, process)
    now = ctx.now()

    def work():
        outcome = operate(uow, instance, workflow)
        if outcome is SKIP:
            return SKIP
        completed_task = outcome if isinstance(outcome, CompletedTask) else None
        current = process
        if instance.definition_id != current.definition_id:  # migrated to another version
            current = ctx.processes.get(instance.definition_id, uow.repo)
        projected = project(uow.repo, instance, workflow, current, now,
                            completed_task.task_id if completed_task else None, completed_by, revisit=rewait,
                            known=known)
        if final_status:
            instance.status = final_status
        write_outbox(ctx, instance, workflow, current, now)  # takes the thrown events first:
        _cut_history(ctx, workflow)
        instance.state = wf.serialize(workflow)  # the serialized state must not hold them
        return outcome, projected

    outcome, failure = diagram_outcome(work)
    if failure is not None:
        raise DiagramFailed(failure, lambda: record_error(ctx, instance_id, failure, read_version))
    if outcome is SKIP:  # the workflow is as it was, at the version it was read at
        ctx.workflows.put(instance_id, read_version, instance.definition_id, workflow, known)
        return SKIP
    outcome, projected = outcome
    keep_after_commit(ctx, instance, workflow, projected, now)
    return outcome


def keep_after_commit(ctx: CommandContext, instance: Instance, workflow, projected, now: datetime) -> None:
    """Write the step's rows, take what was buffered for its new catches, and once the step is
    durable, let its live workflow (and what it knows of the instance's rows) serve the next
    step of the instance."""
    ctx.uow.repo.save_stepped(instance)
    ctx.uow.repo.flush()  # the row's new version, and the ids of the rows added, known before commit
    take_buffered(ctx, projected, now)
    written, known = (instance.id, instance.version, instance.definition_id), projected.rows.settled()

    def keep():
        wf.rebuild_catch_index(workflow)
        ctx.workflows.put(*written, workflow, known)

    ctx.uow.after_commit(keep)


def _cut_history(ctx: CommandContext, workflow) -> None:
    levels = ctx.config.history_levels
    if not levels:
        return
    size = wf.task_count(workflow)
    # Kept on the live workflow object only: one loaded from the database is cut once more.
    if size > max(PRUNE_AT * levels, getattr(workflow, "kedja_size_after_cut", 0) + PRUNE_GROWTH):
        prune_history(workflow, levels)
        workflow.kedja_size_after_cut = wf.task_count(workflow)


def record_error(ctx: CommandContext, instance_id: str, err: Exception, read_version: int) -> str:
    """Put the instance in `error`, unless it moved on since the failed step read it: then
    the failure may not hold for the new state, and the caller is told to retry."""
    log.warning("instance %s failed: %s", instance_id, err)
    with ctx.fresh() as uow:
        instance = uow.repo.instance(instance_id)
        if instance.version != read_version:
            raise ConcurrentUpdate(f"instance {instance_id} changed while the failed step ran; retry")
        instance.status = InstanceStatus.ERROR
        instance.error_message = wf.describe_error(err)
        instance.error_element = wf.failed_element(err)
        uow.commit()
    return instance_id


def write_outbox(ctx: CommandContext, instance: Instance, workflow, process: wf.CompiledProcess,
                 now: datetime) -> None:
    """Messages no catch of this instance took become outbox rows of this transaction."""
    config, retained = ctx.config, process.model.retained_messages
    for thrown in wf.thrown_messages(workflow):
        message_id = str(uuid.uuid4())
        row = dict(
            id=message_id, name=thrown.name, correlation_key=wf.correlation_key(thrown.correlation),
            payload=json.dumps(thrown.payload, default=str, ensure_ascii=False), status=MessageStatus.PENDING,
            source_instance_id=instance.id, retain=thrown.name in retained, created_at=utc_naive(now), attempts=0,
            # Leased to this node from the start: it routes the row right after commit, and
            # another node's sweep takes it only if this node dies before doing so.
            lease_owner=config.node_name,
            lease_until=utc_naive(now + timedelta(seconds=config.lease_seconds)),
            expires_at=utc_naive(now + timedelta(seconds=config.default_message_ttl_seconds)),
            routed_at=None, last_error=None,
        )
        ctx.uow.repo.insert_later(Message, row)
        # Routed right after commit from what was written here: the routing reads no row for it.
        as_written = SimpleNamespace(**row)
        ctx.uow.after_commit(lambda m=message_id, w=as_written: ctx.follow.route(m, w))


def take_buffered(ctx: CommandContext, projected, now: datetime) -> None:
    """Catches that began waiting get what was buffered for them, routed after commit (after
    the flush: a wait inserted by this step says whether anything was buffered for it then, and
    is not asked again when nothing was). A message buffered by another transaction at this very
    moment is found by the sweep."""
    for name, key, new_wait in projected.new_message_waits:
        if new_wait is not None and not new_wait.buffered:
            continue
        for message_id in ctx.uow.repo.buffered_matching(name, key, utc_naive(now)):
            ctx.uow.after_commit(lambda m=message_id: ctx.follow.route(m))


def create_instance(ctx: CommandContext, process: wf.CompiledProcess, workflow, business_key: str | None,
                    now: datetime) -> Instance:
    instance = Instance(id=str(uuid.uuid4()), definition_id=process.definition_id, process_key=process.key,
                        business_key=business_key, status=InstanceStatus.RUNNING, state=b"",
                        created_at=utc_naive(now), last_progress_at=utc_naive(now))
    ctx.uow.repo.add(instance)
    projected = project(ctx.uow.repo, instance, workflow, process, now, new=True)
    write_outbox(ctx, instance, workflow, process, now)
    instance.state = wf.serialize(workflow)
    keep_after_commit(ctx, instance, workflow, projected, now)
    return instance


def record_failed_start(ctx: CommandContext, process: wf.CompiledProcess, data: dict, business_key: str | None,
                        err: Exception, after: Callable[[UnitOfWork, Instance], None] | None = None) -> str:
    """A start whose first steps failed leaves an instance in `error` at its very start."""
    now = ctx.now()
    with ctx.fresh() as uow:
        instance = Instance(id=str(uuid.uuid4()), definition_id=process.definition_id,
                            process_key=process.key, business_key=business_key, status=InstanceStatus.ERROR,
                            state=wf.serialize(wf.new_workflow(process, data)),
                            error_message=wf.describe_error(err), error_element=wf.failed_element(err),
                            created_at=utc_naive(now), last_progress_at=utc_naive(now))
        uow.repo.add(instance)
        uow.repo.flush()
        if after:
            after(uow, instance)
        uow.commit()
    return instance.id
