"""Commands: what callers ask the engine to do. Each runs through the command bus
(engine/bus.py), in one unit of work; the last three are the engine's own background work,
which the sweep and the after-commit routing run through the same bus."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who acts. `organisation=None` is the system itself (scheduler, admin tools)."""

    username: str
    organisation: str | None = None

    @staticmethod
    def system() -> "Actor":
        return Actor("system")


@dataclass(frozen=True)
class Deploy:
    """Deploy diagrams and forms together (all or none). `forms` maps form keys to JSON
    Schemas; `source` says where they come from (file | modeller | api | cli). With
    `only_new`, processes that have a version already are left alone (the initial model)."""

    files: tuple[tuple[str, bytes | str], ...]
    forms: tuple[tuple[str, dict], ...] = ()
    source: str = "api"
    deployed_by: str | None = None
    only_new: bool = False


@dataclass(frozen=True)
class DeployForm:
    """Deploy one form (a JSON Schema): a new version unless it equals the latest. Diagrams
    deployed after it pin the new version; tasks already open keep theirs."""

    key: str
    schema: dict
    source: str = "api"
    deployed_by: str | None = None


@dataclass(frozen=True)
class StartInstance:
    """Start a case. With a start form, `data` is checked against it and the caller's own
    organisation fills the fields bound to the account (unless an administrator acts
    `for_others`). The same `idempotency_key` from the same caller starts one case only."""

    process_key: str
    data: dict = field(default_factory=dict)
    business_key: str | None = None
    actor: Actor = field(default_factory=Actor.system)
    for_others: bool = False
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ClaimTask:
    task_id: str
    actor: Actor


@dataclass(frozen=True)
class ReleaseTask:
    task_id: str
    actor: Actor


@dataclass(frozen=True)
class CompleteTask:
    task_id: str
    data: dict
    actor: Actor


@dataclass(frozen=True)
class CorrelateMessage:
    """A message from outside (or from a test) routed like a thrown one.
    `ttl_seconds=0` means: deliver now or not at all (nothing is stored then)."""

    name: str
    correlation: dict
    payload: Any = None
    message_id: str | None = None
    ttl_seconds: int | None = None


@dataclass(frozen=True)
class Sweep:
    """One pass of background work: due timers, stranded outbox rows, buffered and expired messages."""

    limit: int = 100


@dataclass(frozen=True)
class SuspendInstance:
    """Hold an instance: no task completes, no timer fires, messages wait in the buffer."""

    instance_id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class ResumeInstance:
    """Let a suspended instance go on; held messages and due timers are then delivered."""

    instance_id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class TerminateInstance:
    """End an instance where it stands: open tasks are cancelled, nothing more is awaited."""

    instance_id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class RetryInstance:
    """Run the engine steps of an instance in `error` again from its last saved state."""

    instance_id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class EndSessions:
    """Sign a user out of every web session (signing out, or after a password change)."""

    username: str


@dataclass(frozen=True)
class RecordAccess:
    """Log a read of a participant case (who, which case, what)."""

    username: str
    organisation: str
    instance_id: str
    what: str


@dataclass(frozen=True)
class DetectStalls:
    """Find the instances that look stuck and record why (replacing the last findings)."""


@dataclass(frozen=True)
class ResetInstance:
    """Go back to an earlier user task: it opens again, and what followed it is undone."""

    instance_id: str
    element_id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class MigrateInstance:
    """Move a running instance to a newer version of its process, if the change allows it."""

    instance_id: str
    version: int
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class MigrateVersion:
    """Move every running case of version `from_version` of a process to `to_version`, each in
    its own transaction; with `dry_run`, only say which cases could move and why not."""

    process_key: str
    from_version: int
    to_version: int
    dry_run: bool = True
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class RetryIncident:
    """Try a failed timer (`kind` "timer", `id` its wait id) or message (`kind` "message")
    once more, after the cause was fixed: its count of failed tries starts again."""

    kind: str
    id: str
    actor: Actor = field(default_factory=Actor.system)


@dataclass(frozen=True)
class AdvanceDemoClock:
    """Demo mode only: move the engine's clock forward by `days` and `hours` (an administrator,
    recorded as who moved it), then fire the timers that fell due. Outside demo mode the clock
    is the real one and this is refused."""

    actor: Actor
    days: float = 0
    hours: float = 0


@dataclass(frozen=True)
class RouteMessage:
    """Route one stored message: to the catches waiting for it, a process it starts, or the buffer.
    `thrown`: the row as the thrower's step wrote it, when this process routes it right after
    that commit (it is not read again; the statements that close it check it is still open)."""

    message_id: str
    thrown: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DeliverMessage:
    """Deliver one message to one instance (one step of it); with `close`, the same transaction
    marks the message delivered."""

    message_id: str
    instance_id: str
    close: bool = False


@dataclass(frozen=True)
class FireTimer:
    """Fire one timer the sweep claimed."""

    wait_id: int
