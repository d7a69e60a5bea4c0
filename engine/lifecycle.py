"""Administrators' commands on whole instances: suspend, resume, terminate, retry.

Each is one step of one instance (version-checked like any other). A suspended instance is
left alone by routing and the timer sweep because both take active instances only; resuming
re-projects it, which hands it buffered messages, and the sweep then fires what fell due."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import workflow as wf
from .commands import ResumeInstance, RetryInstance, SuspendInstance, TerminateInstance
from .errors import InvalidState
from .repository import ACTIVE_STATUSES
from .uow import FollowUps

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine

FINISHED = ("completed", "terminated")


def _require(instance, allowed: tuple[str, ...], action: str) -> None:
    if instance.status not in allowed:
        raise InvalidState(f"instance {instance.id} is {instance.status}; it cannot be {action}")


def suspend(engine: "Engine", cmd: SuspendInstance, follow: FollowUps) -> str:
    with engine.uow() as uow:
        instance = uow.repo.instance(cmd.instance_id)
        _require(instance, ACTIVE_STATUSES, "suspended")
        instance.status = "suspended"
        uow.commit()
    return "suspended"


def resume(engine: "Engine", cmd: ResumeInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ("suspended",), "resumed")
        wf.run_steps(workflow, engine.now())  # nothing to run unless time moved; projects anew
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status  # before held messages arrive


def retry(engine: "Engine", cmd: RetryInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ("error",), "retried")
        wf.run_steps(workflow, engine.now())
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status


def terminate(engine: "Engine", cmd: TerminateInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        if instance.status in FINISHED:
            raise InvalidState(f"instance {instance.id} is already {instance.status}")
        wf.cancel(workflow)
        return True

    engine.step(cmd.instance_id, operate, follow, final_status="terminated")
    return "terminated"
