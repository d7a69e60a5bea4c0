"""Administrators' commands on whole instances: suspend, resume, terminate, retry.

Each is one step of one instance (version-checked like any other). A suspended instance is
left alone by routing and the timer sweep because both take active instances only; resuming
re-projects it, which hands it buffered messages, and the sweep then fires what fell due."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .clock import utc_naive
from .commands import (
    MigrateInstance,
    MigrateVersion,
    ResetInstance,
    ResumeInstance,
    RetryInstance,
    SuspendInstance,
    TerminateInstance,
)
from .errors import EngineError, InvalidState, NotFound
from .models import AuditEntry
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import FINISHED, InstanceStatus
from .uow import FollowUps

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine



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
        instance.status = InstanceStatus.SUSPENDED
        _audit(engine, uow, cmd, "suspend")
        uow.commit()
    return "suspended"


def resume(engine: "Engine", cmd: ResumeInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, (InstanceStatus.SUSPENDED,), "resumed")
        wf.run_steps(workflow, engine.now())  # nothing to run unless time moved; projects anew
        _audit(engine, uow, cmd, "resume")
        return True

    engine.step(cmd.instance_id, operate, follow, rewait=True)
    return engine.queries.instance(cmd.instance_id)["instance"].status  # before held messages arrive


def retry(engine: "Engine", cmd: RetryInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, (InstanceStatus.ERROR,), "retried")
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

    engine.step(cmd.instance_id, operate, follow, final_status=InstanceStatus.TERMINATED)
    return "terminated"


def reset(engine: "Engine", cmd: ResetInstance, follow: FollowUps) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ACTIVE_STATUSES + (InstanceStatus.ERROR,), "reset")
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


def migrate_version(engine: "Engine", cmd: MigrateVersion, follow: FollowUps) -> list[dict]:
    """A batch migration: every running case of one version, case by case. A dry run tries
    each on a copy of its state and writes nothing."""
    with engine.uow() as uow:
        source = uow.repo.definition_version(cmd.process_key, cmd.from_version)
        target = uow.repo.definition_version(cmd.process_key, cmd.to_version)
        if source is None or target is None:
            missing = cmd.from_version if source is None else cmd.to_version
            raise NotFound(f"no version {missing} of '{cmd.process_key}'")
        if target.version <= source.version:
            raise InvalidState("move cases to a newer version")
        cases = [(row.id, row.business_key) for row in uow.repo.instances_of_definition(source.id, ACTIVE_STATUSES)]
        new = engine.processes.get(target.id, uow.repo)
        old = engine.processes.get(source.id, uow.repo)
    results = []
    for instance_id, business_key in cases:
        reason = None
        try:
            if cmd.dry_run:
                with engine.uow() as uow:
                    state = uow.repo.instance(instance_id).state
                wf.migrate(wf.deserialize(state, old), new, engine.now())
            else:
                migrate(engine, MigrateInstance(instance_id, cmd.to_version, cmd.actor), follow)
        except EngineError as err:
            reason = str(err)
        except Exception as err:  # the diagram's own logic failed on the copy (a dry run)
            reason = f"{type(err).__name__}: {err}"
        results.append({"instance_id": instance_id, "business_key": business_key, "ok": reason is None,
                        "reason": reason})
    return results
