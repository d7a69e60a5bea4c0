"""Routing messages between instances by name + correlation values.

A message reaches every waiting catch whose name and correlation values match, each
delivery in its own unit of work; if none waits, a deployed process with a matching message
start event starts; else the message is buffered until its time to live runs out. The
`deliveries` table makes delivery idempotent: one message id reaches one instance once.
"""
from __future__ import annotations

import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from . import incidents
from .clock import utc_naive
from .commands import CorrelateMessage
from .errors import ConcurrentUpdate, EngineError, InvalidInput, NotFound, StepFailed
from .models import Delivery, Message
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import ROUTABLE, MessageStatus
from .uow import SKIP, FollowUps

log = logging.getLogger("kedja.messaging")

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine


@dataclass(frozen=True)
class RoutingResult:
    message_id: str
    status: str  # delivered | started | buffered | expired | pending
    instance_ids: tuple[str, ...] = ()
    duplicate: bool = False


def correlate(engine: "Engine", cmd: CorrelateMessage, follow: FollowUps) -> RoutingResult:
    """A message from outside: store it, route it now, and say what became of it."""
    if not cmd.name or not isinstance(cmd.correlation, dict):
        raise InvalidInput("a message needs a name and a correlation object")
    if cmd.ttl_seconds is not None and cmd.ttl_seconds < 0:
        raise InvalidInput("ttl_seconds must not be negative")
    message_id = cmd.message_id or str(uuid.uuid4())
    # The correlation values are part of the message: a catch may read them from the payload.
    payload = {**cmd.correlation, **cmd.payload} if isinstance(cmd.payload, dict) else (
        dict(cmd.correlation) if cmd.payload is None else cmd.payload)
    now = engine.now()
    ttl = engine.config.default_message_ttl_seconds if cmd.ttl_seconds is None else cmd.ttl_seconds
    try:
        with engine.uow() as uow:
            existing = uow.repo.find_message(message_id)
            if existing is not None:
                return _result(engine, message_id, duplicate=True)
            uow.repo.add(Message(
                id=message_id, name=cmd.name, correlation_key=wf.correlation_key(cmd.correlation),
                payload=json.dumps(payload, default=str, ensure_ascii=False), status=MessageStatus.PENDING,
                created_at=utc_naive(now), expires_at=utc_naive(now + timedelta(seconds=ttl)), attempts=0,
                # Ours to route now; another node's sweep may take it only if we die first.
                lease_owner=engine.config.node_name,
                lease_until=utc_naive(now + timedelta(seconds=engine.config.lease_seconds)),
            ))
            uow.commit()
    except ConcurrentUpdate:  # the same id arrived twice at once; the other one routes it
        return _result(engine, message_id, duplicate=True)
    status = route(engine, message_id, follow)
    if status == MessageStatus.EXPIRED and ttl == 0:
        _forget(engine, message_id)
        raise NotFound(f"no instance waits for message '{cmd.name}' with {cmd.correlation}")
    return _result(engine, message_id)


def _result(engine: "Engine", message_id: str, duplicate: bool = False) -> RoutingResult:
    with engine.uow() as uow:
        message = uow.repo.message(message_id)
        receivers = tuple(d.instance_id for d in uow.session.query(Delivery).filter_by(message_id=message_id))
        return RoutingResult(message_id, message.status, receivers, duplicate)


def _forget(engine: "Engine", message_id: str) -> None:
    with engine.uow() as uow:
        uow.session.delete(uow.repo.message(message_id))
        uow.commit()


def route(engine: "Engine", message_id: str, follow: FollowUps) -> str:
    now = engine.now()
    stamp = utc_naive(now)
    with engine.uow() as uow:
        message = uow.repo.message(message_id)
        if message.status not in ROUTABLE:
            return message.status
        owned = message.lease_owner == engine.config.node_name and message.lease_until > stamp
        if not owned:
            lease = utc_naive(now + timedelta(seconds=engine.config.lease_seconds))
            if not uow.repo.claim_message(message_id, engine.config.node_name, stamp, lease):
                return message.status  # another node routes it right now
        name, key, expires_at = message.name, message.correlation_key, message.expires_at
        retain = _retained(engine, uow, message)
        receivers = uow.repo.message_receivers(name, key)
        starts = [] if receivers else uow.repo.message_starts(name)
        if starts:  # nobody waits and a process starts with it (deploy allows one per message name)
            return _start_by_message(engine, uow, message, starts[0].definition_id, follow)
        uow.commit()

    errors: list[str] = []  # why a delivery is to be tried again
    if len(receivers) == 1 and not retain:  # the common case: the delivery closes the message itself
        outcome = deliver(engine, message_id, receivers[0], follow, close=True, errors=errors)
        if outcome == DELIVERED:
            return MessageStatus.DELIVERED
        outcomes = [outcome]
    else:
        outcomes = [deliver(engine, message_id, instance_id, follow, errors=errors) for instance_id in receivers]

    with engine.uow() as uow:
        message = uow.repo.message(message_id)
        if RETRY in outcomes:
            # A receiver could not be reached for now: leave the message pending for a later
            # sweep (deliveries already made are not repeated), or an incident past the limit.
            if errors:  # something failed: counted, retried later, an incident past the limit
                incidents.count_failure(engine, message, "; ".join(errors))
            else:  # a receiver was busy: free for the next sweep, as a lost race is no failure
                message.lease_owner = message.lease_until = None
                message.last_error = "a receiver was busy; retried by the sweep"
            uow.commit()
            return message.status
        if uow.repo.delivery_count(message_id) > 0:
            status = MessageStatus.RETAINED if retain and expires_at > stamp else MessageStatus.DELIVERED
        else:
            status = MessageStatus.EXPIRED if expires_at <= stamp else MessageStatus.BUFFERED
        message.status = status
        message.routed_at = stamp if status == MessageStatus.DELIVERED else message.routed_at
        message.lease_owner = message.lease_until = None
        uow.commit()
        return status


def _retained(engine: "Engine", uow, message) -> bool:
    """A message its thrower's diagram marks kedja:retain="true": after delivery it is kept
    (status retained) for catches that begin waiting later, until it expires."""
    if not message.source_instance_id:
        return False
    definition_id = uow.repo.instance(message.source_instance_id).definition_id
    return message.name in engine.processes.get(definition_id, uow.repo).model.retained_messages


DELIVERED, SKIPPED, RETRY, RECEIVER_FAILED = "delivered", "skipped", "retry", "receiver failed"


def deliver(engine: "Engine", message_id: str, instance_id: str, follow: FollowUps,
            close: bool = False, errors: list[str] | None = None) -> str:
    """Deliver one message to one instance, retrying lost optimistic-lock races with a short
    backoff. With `close`, the same transaction marks the message delivered."""

    def operate(uow, instance, workflow):
        if uow.repo.delivered(message_id, instance.id) or instance.status not in ACTIVE_STATUSES:
            return SKIP
        message = uow.repo.message(message_id)
        wait = uow.repo.matching_wait(instance.id, message.name, message.correlation_key)
        if wait is None:
            return SKIP
        now = engine.now()
        wf.deliver_message(workflow, wait.spiff_task_id, json.loads(message.payload), now, message.name)
        uow.repo.add(Delivery(message_id=message_id, instance_id=instance.id, element_id=wait.element_id,
                              delivered_at=utc_naive(now)))
        if close:
            message.status, message.routed_at = MessageStatus.DELIVERED, utc_naive(now)
            message.lease_owner = message.lease_until = None
        return True

    for attempt in range(engine.config.delivery_retries):
        try:
            return DELIVERED if engine.step(instance_id, operate, follow) is True else SKIPPED
        except ConcurrentUpdate:
            time.sleep(random.uniform(0, 0.01 * 2 ** attempt))
        except StepFailed:
            return RECEIVER_FAILED  # the receiver is in error now; it gets buffered messages on retry
        except Exception as err:  # the database or a bug: never let one receiver stop the others
            log.exception("delivering message %s to %s failed", message_id, instance_id)
            if errors is not None:
                errors.append(f"{type(err).__name__}: {err}")
            return RETRY
    return RETRY  # lost every race: busy, not broken (not counted towards an incident)


def _start_by_message(engine: "Engine", uow, message, definition_id: int, follow: FollowUps) -> str:
    """Start one instance for the message, in the routing's own transaction. The conditional
    status change makes it once only: of two nodes (or threads) racing here, one transaction
    finds the message already started. Returns the message's status."""
    now = engine.now()
    message_id = message.id
    process = engine.processes.get(definition_id, uow.repo)
    use = process.model.message_starts[message.name]
    try:
        workflow = wf.start_by_message(process, use, json.loads(message.payload), now)
        instance = engine.create_instance(uow, process, workflow, None, now, follow)
    except EngineError:
        raise
    except Exception as err:  # the diagram's own logic failed: nothing of this transaction stays
        failure = err
    else:
        if not _mark_started(uow, message_id, instance.id, use.element_id, now):
            return uow.repo.message_status(message_id)
        uow.commit()
        return MessageStatus.STARTED
    uow.session.rollback()

    def mark(uow, instance):
        if not _mark_started(uow, message_id, instance.id, use.element_id, now):
            raise ConcurrentUpdate(f"message {message_id} was started by another node")

    engine.record_failed_start(process, {}, None, failure, after=mark)
    return MessageStatus.STARTED


def _mark_started(uow, message_id: str, instance_id: str, element_id: str, now) -> bool:
    if not uow.repo.mark_message_started(message_id, utc_naive(now)):
        return False
    uow.repo.add(Delivery(message_id=message_id, instance_id=instance_id, element_id=element_id,
                          delivered_at=utc_naive(now)))
    return True
