"""Administrators' commands on whole instances: suspend, resume, terminate, retry.

Each is one step of one instance (version-checked like any other). A suspended instance is
left alone by routing and the timer sweep because both take active instances only; resuming
re-projects it, which hands it buffered messages, and the sweep then fires what fell due."""
from __future__ import annotations

from .bus import CommandContext
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
from .steps import step


def _require(instance, allowed: tuple[str, ...], action: str) -> None:
    if instance.status not in allowed:
        raise InvalidState(f"instance {instance.id} is {instance.status}; it cannot be {action}")


def _audit(ctx: CommandContext, cmd, action: str, detail: str | None = None) -> None:
    ctx.uow.repo.add(AuditEntry(at=utc_naive(ctx.now()), username=cmd.actor.username, action=action,
                            instance_id=cmd.instance_id, detail=detail))


def suspend(ctx: CommandContext, cmd: SuspendInstance) -> str:
    instance = ctx.uow.repo.instance(cmd.instance_id)
    _require(instance, ACTIVE_STATUSES, "suspended")
    instance.status = InstanceStatus.SUSPENDED
    _audit(ctx, cmd, "suspend")
    return "suspended"


def _status(ctx: CommandContext, instance_id: str) -> str:
    """The status the step left (before held messages arrive, after the commit)."""
    return ctx.uow.repo.instance(instance_id).status


def resume(ctx: CommandContext, cmd: ResumeInstance) -> str:
    def operate(uow, instance, workflow):
        _require(instance, (InstanceStatus.SUSPENDED,), "resumed")
        wf.run_steps(workflow, ctx.now())  # nothing to run unless time moved; projects anew
        _audit(ctx, cmd, "resume")
        return True

    step(ctx, cmd.instance_id, operate, rewait=True)
    return _status(ctx, cmd.instance_id)


def retry(ctx: CommandContext, cmd: RetryInstance) -> str:
    def operate(uow, instance, workflow):
        _require(instance, (InstanceStatus.ERROR,), "retried")
        wf.run_steps(workflow, ctx.now())
        _audit(ctx, cmd, "retry", instance.error_message)
        return True

    step(ctx, cmd.instance_id, operate, rewait=True)
    return _status(ctx, cmd.instance_id)


def terminate(ctx: CommandContext, cmd: TerminateInstance) -> str:
    def operate(uow, instance, workflow):
        if instance.status in FINISHED:
            raise InvalidState(f"instance {instance.id} is already {instance.status}")
        wf.cancel(workflow)
        _audit(ctx, cmd, "terminate")
        return True

    step(ctx, cmd.instance_id, operate, final_status=InstanceStatus.TERMINATED)
    return "terminated"


def reset(ctx: CommandContext, cmd: ResetInstance) -> str:
    def operate(uow, instance, workflow):
        _require(instance, ACTIVE_STATUSES + (InstanceStatus.ERROR,), "reset")
        wf.reset_to(workflow, cmd.element_id, ctx.now())
        _audit(ctx, cmd, "reset", cmd.element_id)
        return True

    step(ctx, cmd.instance_id, operate, rewait=True)
    return _status(ctx, cmd.instance_id)


def migrate(ctx: CommandContext, cmd: MigrateInstance) -> int:
    def operate(uow, instance, workflow):
        _require(instance, ACTIVE_STATUSES, "migrated")
        target = uow.repo.definition_version(instance.process_key, cmd.version)
        if target is None:
            raise NotFound(f"no version {cmd.version} of '{instance.process_key}'")
        current = uow.repo.definition(instance.definition_id)
        if target.version <= current.version:
            raise InvalidState(f"the instance is on version {current.version}; migrate to a newer one")
        wf.migrate(workflow, ctx.processes.get(target.id, uow.repo), ctx.now())
        instance.definition_id = target.id
        _audit(ctx, cmd, "migrate", f"version {current.version} -> {target.version}")
        return True

    step(ctx, cmd.instance_id, operate, rewait=True)
    return cmd.version


def migrate_version(ctx: CommandContext, cmd: MigrateVersion) -> list[dict]:
    """A batch migration: every running case of one version, case by case. A dry run tries
    each on a copy of its state and writes nothing."""
    def cases_to_move(tx: CommandContext):
        source = tx.uow.repo.definition_version(cmd.process_key, cmd.from_version)
        target = tx.uow.repo.definition_version(cmd.process_key, cmd.to_version)
        if source is None or target is None:
            missing = cmd.from_version if source is None else cmd.to_version
            raise NotFound(f"no version {missing} of '{cmd.process_key}'")
        if target.version <= source.version:
            raise InvalidState("move cases to a newer version")
        cases = [(row.id, row.business_key) for row in tx.uow.repo.instances_of_definition(source.id, ACTIVE_STATUSES)]
        return cases, tx.processes.get(source.id, tx.uow.repo), tx.processes.get(target.id, tx.uow.repo)

    cases, old, new = ctx.transaction(cases_to_move)
    results = []
    for instance_id, business_key in cases:
        reason = None
        try:
            if cmd.dry_run:
                state = ctx.transaction(lambda tx, i=instance_id: tx.uow.repo.instance(i).state)
                wf.migrate(wf.deserialize(state, old), new, ctx.now())
            else:
                ctx.execute(MigrateInstance(instance_id, cmd.to_version, cmd.actor))
        except EngineError as err:
            reason = str(err)
        except Exception as err:  # the diagram's own logic failed on the copy (a dry run)
            reason = f"{type(err).__name__}: {err}"
        results.append({"instance_id": instance_id, "business_key": business_key, "ok": reason is None,
                        "reason": reason})
    return results
