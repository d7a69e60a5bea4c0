"""Administrators' commands on whole instances: suspend, resume, terminate, retry.

Each is one step of one instance (version-checked like any other). A suspended instance is
left alone by routing and the timer sweep because both take active instances only; resuming
re-projects it, which hands it buffered messages, and the sweep then fires what fell due."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import workflow as wf
from .clock import utc_naive
from .commands import (
    MigrateInstance,
    ResetInstance,
    ResumeInstance,
    RetryInstance,
    SuspendInstance,
    TerminateInstance,
)
from .errors import InvalidState, NotFound
from .models import AuditEntry
from .repository import ACTIVE_STATUSES
from .uow import FollowUps

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine

FINISHED = ("completed", "terminated")


def _require(instance, allowed: tuple[str, ...], action: str) -> None:
    if instance.status not in allowed:
        raise InvalidState(f"instance {instance.id} is {instance.status}; it cannot be {action}")


def _audit(engine: "Engine", uow, cmd, action: str, detail: str | None = None) -> None:
    uow.repo.add(AuditEntry(at=utc_naive(engine.now()), username=cmd.actor.username, action=action,
                            instance_id=cmd.instance_id, detail=detail))


def suspend(engine: "Engine", cmd: SuspendInstance, follow: FollowUps) -> str:
    with engine.uow() as uow:
        instance = uow.repo.instance(cmd.instance_id)
        _require(instance, ACTIVE_STATUSES, "suspended")
        instance.status = "suspended"
        _audit(engine, uow, cmd, "suspend")
        uow.commit()
    return "suspended"


def resume(engine: "Engine", cmd: ResumeInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ("suspended",), "resumed")
        wf.run_steps(workflow, engine.now())  # nothing to run unless time moved; projects anew
        _audit(engine, uow, cmd, "resume")
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status  # before held messages arrive


def retry(engine: "Engine", cmd: RetryInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ("error",), "retried")
        wf.run_steps(workflow, engine.now())
        _audit(engine, uow, cmd, "retry", instance.error_message)
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status


def terminate(engine: "Engine", cmd: TerminateInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        if instance.status in FINISHED:
            raise InvalidState(f"instance {instance.id} is already {instance.status}")
        wf.cancel(workflow)
        _audit(engine, uow, cmd, "terminate")
        return True

    engine.step(cmd.instance_id, operate, follow, final_status="terminated")
    return "terminated"


def reset(engine: "Engine", cmd: ResetInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ACTIVE_STATUSES + ("error",), "reset")
        wf.reset_to(workflow, cmd.element_id, engine.now())
        _audit(engine, uow, cmd, "reset", cmd.element_id)
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status


def migrate(engine: "Engine", cmd: MigrateInstance, follow: FollowUps) -> int:
    def operate(uow, instance, workflow):
        _require(instance, ACTIVE_STATUSES, "migrated")
        target = uow.repo.definition_version(instance.process_key, cmd.version)
        if target is None:
            raise NotFound(f"no version {cmd.version} of '{instance.process_key}'")
        current = uow.repo.definition(instance.definition_id)
        if target.version <= current.version:
            raise InvalidState(f"the instance is on version {current.version}; migrate to a newer one")
        wf.migrate(workflow, engine.processes.get(target.id, uow.repo), engine.now())
        instance.definition_id = target.id
        _audit(engine, uow, cmd, "migrate", f"version {current.version} -> {target.version}")
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return cmd.version
