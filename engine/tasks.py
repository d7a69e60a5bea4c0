"""The user-task commands: claim, release, complete. Each reads the task's row in the
organisation's name of the caller; completing is one step of the instance (Engine.step)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forms import validate as validate_form

from .clock import utc_naive
from .commands import Actor, ClaimTask, CompleteTask, ReleaseTask
from .errors import Forbidden, InvalidInput, InvalidState, NotYours
from .models import Instance, TaskRow
from .queries import filled_form
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import TaskState
from .uow import FollowUps, UnitOfWork

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine


@dataclass(frozen=True)
class CompletedTask:
    task_id: str
    instance_id: str
    # The task's row as the step left it (completed, by whom, when): callers answer from it
    # instead of reading it again.
    row: Any = None


def _check_organisation(row: TaskRow, actor: Actor) -> None:
    if actor.organisation is not None and row.organisation != actor.organisation:
        raise NotYours(f"task {row.id} belongs to another organisation")


def _instance_of_task(engine: Engine, task_id: str, actor: Actor) -> str:
    with engine.uow() as uow:
        row = uow.repo.task(task_id)
        _check_organisation(row, actor)
        return row.instance_id


def claim(engine: Engine, cmd: ClaimTask, follow: FollowUps) -> None:
    _instance_of_task(engine, cmd.task_id, cmd.actor)
    with engine.uow() as uow:
        if not uow.repo.claim_task(cmd.task_id, cmd.actor.username, utc_naive(engine.now())):
            row = uow.repo.task(cmd.task_id)
            raise InvalidState(f"task {cmd.task_id} is {row.state}"
                               + (f", claimed by {row.claimed_by}" if row.claimed_by else ""))
        uow.commit()


def release(engine: Engine, cmd: ReleaseTask, follow: FollowUps) -> None:
    _instance_of_task(engine, cmd.task_id, cmd.actor)
    with engine.uow() as uow:
        row = uow.repo.task(cmd.task_id)
        if row.state != TaskState.OPEN:
            raise InvalidState(f"task {cmd.task_id} is {row.state}")
        if row.claimed_by not in (None, cmd.actor.username) and cmd.actor.organisation is not None:
            raise Forbidden(f"task {cmd.task_id} is claimed by {row.claimed_by}")
        row.claimed_by = row.claimed_at = None
        uow.commit()


def complete(engine: Engine, cmd: CompleteTask, follow: FollowUps):
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
        schema = filled_form(uow.session, engine.forms, row.form_key, row.form_version,
                             wf.task_data(workflow, cmd.task_id))
        if schema is not None and (problems := validate_form(schema, cmd.data)):
            raise InvalidInput(f"the form '{row.form_key}' has {len(problems)} error(s)", problems)
        wf.complete_user_task(workflow, cmd.task_id, dict(cmd.data), engine.now())
        return CompletedTask(cmd.task_id, instance.id, row)

    return engine.step(locate, operate, follow, completed_by=cmd.actor.username)
