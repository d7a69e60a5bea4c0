"""Poison work becomes an incident, not a loop.

A timer or message whose background work fails is tried again later, each time twice as
late (`retry_backoff_seconds` · 2^(tries-1)); after `max_attempts` failed tries it stops:
a timer gets `failed_at`, a message the status `failed`. Both show, with their error, in the
admin console and `kedja stalled`, until an administrator retries them (`RetryIncident`).

A step that fails in the diagram's own logic is not counted here: it puts its instance in
`error`, which is already an incident of its own (retried with RetryInstance).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from .clock import utc_naive
from .commands import RetryIncident
from .errors import InvalidInput, InvalidState, NotFound
from .models import AuditEntry, Message, Wait
from .statuses import ROUTABLE, MessageStatus, WaitKind

if TYPE_CHECKING:  # only for annotations: the bus imports this module
    from .bus import CommandContext
    from .service import Engine

log = logging.getLogger("kedja.incidents")


@dataclass(frozen=True)
class Incident:
    kind: str  # timer | message
    id: str
    instance_id: str | None
    name: str  # the timer's element id, or the message's name
    attempts: int
    error: str | None
    since: datetime | None


def _next_try(ctx: "CommandContext", attempts: int) -> datetime:
    delay = ctx.config.retry_backoff_seconds * 2 ** max(attempts - 1, 0)
    return utc_naive(ctx.now() + timedelta(seconds=delay))


def _text(err: Exception | str) -> str:
    return (err if isinstance(err, str) else f"{type(err).__name__}: {err}")[:2000]


def timer_failed(ctx: "CommandContext", wait_id: int, err: Exception) -> None:
    """In the caller's unit of work: count a failed try of a timer; past the limit it becomes
    an incident."""
    wait = ctx.uow.session.get(Wait, wait_id)
    if wait is None:
        return
    wait.attempts = (wait.attempts or 0) + 1
    wait.last_error = _text(err)
    wait.lease_owner = None
    if wait.attempts >= ctx.config.max_attempts:
        wait.failed_at, wait.lease_until = utc_naive(ctx.now()), None
        log.error("timer %s (%s) failed %d times: an incident now", wait_id, wait.element_id, wait.attempts)
    else:
        wait.lease_until = _next_try(ctx, wait.attempts)


def message_failed(ctx: "CommandContext", message_id: str, err: Exception | str) -> None:
    """In the caller's unit of work: count a failed routing try of a message; past the limit it
    becomes an incident."""
    message = ctx.uow.session.get(Message, message_id)
    if message is None or message.status not in ROUTABLE:
        return
    count_failure(ctx, message, err)


def count_failure(ctx: "CommandContext", message: Message, err: Exception | str) -> None:
    """In the caller's transaction: one more failed try of `message`."""
    message.attempts = (message.attempts or 0) + 1
    message.last_error = _text(err)
    message.lease_owner = None
    if message.attempts >= ctx.config.max_attempts:
        message.status, message.lease_until = MessageStatus.FAILED, None
        log.error("message %s (%s) failed %d times: an incident now", message.id, message.name, message.attempts)
    else:
        message.lease_until = _next_try(ctx, message.attempts)


def incidents(engine: "Engine") -> list[Incident]:
    """Every failed timer and message, newest first."""
    with engine.session_factory() as session:
        timers = session.scalars(select(Wait).where(Wait.failed_at.is_not(None))).all()
        messages = session.scalars(select(Message).where(Message.status == MessageStatus.FAILED)).all()
        found = [Incident(WaitKind.TIMER, str(w.id), w.instance_id, w.element_id, w.attempts, w.last_error, w.failed_at)
                 for w in timers]
        found += [Incident(WaitKind.MESSAGE, m.id, m.source_instance_id, m.name, m.attempts, m.last_error,
                           m.created_at) for m in messages]
    return sorted(found, key=lambda i: i.since or datetime.min, reverse=True)


def retry(ctx: "CommandContext", cmd: RetryIncident) -> str:
    """Free the incident for work now; a message is routed at once, a timer by the sweep."""
    uow = ctx.uow
    if cmd.kind == WaitKind.TIMER:
        wait = uow.session.get(Wait, int(cmd.id)) if cmd.id.isdigit() else None
        if wait is None:
            raise NotFound(f"no timer {cmd.id}")
        if wait.failed_at is None:
            raise InvalidState("timern är ingen incident")
        wait.failed_at = wait.lease_owner = wait.lease_until = None
        wait.attempts, instance_id = 0, wait.instance_id
    elif cmd.kind == WaitKind.MESSAGE:
        message = uow.session.get(Message, cmd.id)
        if message is None:
            raise NotFound(f"no message {cmd.id}")
        if message.status != MessageStatus.FAILED:
            raise InvalidState("meddelandet är ingen incident")
        message.status, message.attempts = MessageStatus.PENDING, 0
        message.lease_owner = message.lease_until = None
        instance_id = message.source_instance_id
        uow.after_commit(lambda: ctx.follow.route(cmd.id))
    else:
        raise InvalidInput("kind must be 'timer' or 'message'")
    uow.repo.add(AuditEntry(at=utc_naive(ctx.now()), username=cmd.actor.username,
                            action=f"retry_{cmd.kind}", instance_id=instance_id or "", detail=cmd.id))
    return "retried"
