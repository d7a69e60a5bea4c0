"""The user-task commands: claim, release, complete. Each reads the task's row in the
organisation's name of the caller, in the command's one unit of work; completing is one step
of the instance (engine/steps.py)."""
from __future__ import annotations

from forms import validate as validate_form

from .bus import CommandContext
from .clock import utc_naive
from .commands import Actor, ClaimTask, CompleteTask, ReleaseTask
from .errors import Forbidden, InvalidInput, InvalidState, NotYours
from .models import Instance, TaskRow
from .queries import filled_form
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import TaskState
from .steps import CompletedTask, step
from .uow import UnitOfWork

__all__ = ["CompletedTask", "claim", "release", "complete"]


def _check_organisation(row: TaskRow, actor: Actor) -> None:
    if actor.organisation is not None and row.organisation != actor.organisation:
        raise NotYours(f"task {row.id} belongs to another organisation")


def claim(ctx: CommandContext, cmd: ClaimTask) -> None:
    row = ctx.uow.repo.task(cmd.task_id)
    _check_organisation(row, cmd.actor)
    if not ctx.uow.repo.claim_task(cmd.task_id, cmd.actor.username, utc_naive(ctx.now())):
        ctx.uow.session.refresh(row)
        raise InvalidState(f"task {cmd.task_id} is {row.state}"
                           + (f", claimed by {row.claimed_by}" if row.claimed_by else ""))


def release(ctx: CommandContext, cmd: ReleaseTask) -> None:
    row = ctx.uow.repo.task(cmd.task_id)
    _check_organisation(row, cmd.actor)
    if row.state != TaskState.OPEN:
        raise InvalidState(f"task {cmd.task_id} is {row.state}")
    if row.claimed_by not in (None, cmd.actor.username) and cmd.actor.organisation is not None:
        raise Forbidden(f"task {cmd.task_id} is claimed by {row.claimed_by}")
    row.claimed_by = row.claimed_at = None


def complete(ctx: CommandContext, cmd: CompleteTask):
    if not isinstance(cmd.data, dict):
        raise InvalidInput("data must be an object")
    found = {}  # the session holds rows weakly: kept here, the step reads them only once

    def locate(uow: UnitOfWork) -> str:
        # The instance's row comes with the task's: the step then finds it in the session.
        found["row"], found["instance"] = uow.repo.task_and_instance(cmd.task_id)
        _check_organisation(found["row"], cmd.actor)
        return found["row"].instance_id

    def operate(uow: UnitOfWork, instance: Instance, workflow):
        row = found["row"]
        if row.state != TaskState.OPEN:
            raise InvalidState(f"task {cmd.task_id} is already {row.state}")
        if row.claimed_by not in (None, cmd.actor.username):
            raise Forbidden(f"task {cmd.task_id} is claimed by {row.claimed_by}")
        if instance.status not in ACTIVE_STATUSES:
            raise InvalidState(f"instance {instance.id} is {instance.status}")
        schema = filled_form(uow.session, ctx.forms, row.form_key, row.form_version,
                             wf.task_data(workflow, cmd.task_id))
        if schema is not None and (problems := validate_form(schema, cmd.data)):
            raise InvalidInput(f"the form '{row.form_key}' has {len(problems)} error(s)", problems)
        wf.complete_user_task(workflow, cmd.task_id, dict(cmd.data), ctx.now())
        return CompletedTask(cmd.task_id, instance.id, row)

    return step(ctx, locate, operate, completed_by=cmd.actor.username)
