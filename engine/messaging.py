"""Routing messages between instances by name + correlation values.

A message reaches every waiting catch whose name and correlation values match, each
delivery a command of its own (its own unit of work); if none waits, a deployed process with a
matching message start event starts; else the message is buffered until its time to live runs
out. The `deliveries` table makes delivery idempotent: one message id reaches one instance once.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from . import incidents
from .bus import CommandContext, DiagramFailed
from .clock import utc_naive
from .commands import CorrelateMessage, DeliverMessage, RouteMessage
from .errors import ConcurrentUpdate, EngineError, InvalidInput, NotFound, StepFailed
from .models import Delivery, Message
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import ROUTABLE, MessageStatus
from .steps import create_instance, record_failed_start, step
from .uow import SKIP

log = logging.getLogger("kedja.messaging")


@dataclass(frozen=True)
class RoutingResult:
    message_id: str
    status: str  # delivered | started | buffered | expired | pending
    instance_ids: tuple[str, ...] = ()
    duplicate: bool = False


def correlate(ctx: CommandContext, cmd: CorrelateMessage) -> RoutingResult:
    """A message from outside: store it, route it now, and say what became of it."""
    if not cmd.name or not isinstance(cmd.correlation, dict):
        raise InvalidInput("a message needs a name and a correlation object")
    if cmd.ttl_seconds is not None and cmd.ttl_seconds < 0:
        raise InvalidInput("ttl_seconds must not be negative")
    message_id = cmd.message_id or str(uuid.uuid4())
    # The correlation values are part of the message: a catch may read them from the payload.
    payload = {**cmd.correlation, **cmd.payload} if isinstance(cmd.payload, dict) else (
        dict(cmd.correlation) if cmd.payload is None else cmd.payload)
    ttl = ctx.config.default_message_ttl_seconds if cmd.ttl_seconds is None else cmd.ttl_seconds

    def store(tx: CommandContext) -> bool:
        if tx.uow.repo.find_message(message_id) is not None:
            return False
        now = tx.now()
        tx.uow.repo.add(Message(
            id=message_id, name=cmd.name, correlation_key=wf.correlation_key(cmd.correlation),
            payload=json.dumps(payload, default=str, ensure_ascii=False), status=MessageStatus.PENDING,
            retain=False, created_at=utc_naive(now), expires_at=utc_naive(now + timedelta(seconds=ttl)), attempts=0,
            # Ours to route now; another node's sweep may take it only if we die first.
            lease_owner=tx.config.node_name,
            lease_until=utc_naive(now + timedelta(seconds=tx.config.lease_seconds)),
        ))
        return True

    try:
        stored = ctx.transaction(store)
    except ConcurrentUpdate:  # the same id arrived twice at once; the other one routes it
        stored = False
    if not stored:
        return ctx.transaction(lambda tx: _result(tx, message_id, duplicate=True))
    status = ctx.execute(RouteMessage(message_id))
    if status == MessageStatus.EXPIRED and ttl == 0:
        ctx.transaction(lambda tx: tx.uow.session.delete(tx.uow.repo.message(message_id)))
        raise NotFound(f"no instance waits for message '{cmd.name}' with {cmd.correlation}")
    return ctx.transaction(lambda tx: _result(tx, message_id))


def _result(ctx: CommandContext, message_id: str, duplicate: bool = False) -> RoutingResult:
    message = ctx.uow.repo.message(message_id)
    receivers = tuple(d.instance_id for d in ctx.uow.session.query(Delivery).filter_by(message_id=message_id))
    return RoutingResult(message_id, message.status, receivers, duplicate)


@dataclass(frozen=True)
class _Plan:
    """What routing found in its first transaction."""

    status: str | None  # set when routing ended there (not routable, another node's, started)
    receivers: tuple[str, ...] = ()
    retain: bool = False
    expires_at: object = None


def route(ctx: CommandContext, cmd: RouteMessage) -> str:
    """The RouteMessage command: claim the message, deliver it (one command per receiver) or
    start a process with it, then close it. Returns the message's status.

    The common cases, a message of this node's for one waiting receiver or for a process it
    starts, are one transaction: it reads the message, finds where it goes, delivers it in the
    receiver's step (or starts the instance) and closes it (_route_in_one). Anything else takes
    the general way below."""
    message_id = cmd.message_id
    try:
        return _route_in_one(ctx, message_id, cmd.thrown)
    except _Settled as settled:
        return settled.status
    except _Unsure:
        pass
    try:
        plan = ctx.transaction(lambda tx: _plan(tx, message_id))
    except StepFailed:  # the process it started failed at once: that instance is in error
        return MessageStatus.STARTED
    except _StartedElsewhere:  # rolled back: the case this routing started is not kept
        return ctx.transaction(lambda tx: tx.uow.repo.message_status(message_id))
    if plan.status is not None:
        return plan.status

    errors: list[str] = []  # why a delivery is to be tried again
    if len(plan.receivers) == 1 and not plan.retain:  # common: the delivery closes the message itself
        outcome = _deliver(ctx, DeliverMessage(message_id, plan.receivers[0], close=True), errors)
        if outcome == DELIVERED:
            return MessageStatus.DELIVERED
        outcomes = [outcome]
    else:
        outcomes = [_deliver(ctx, DeliverMessage(message_id, instance_id), errors)
                    for instance_id in plan.receivers]
    return ctx.transaction(lambda tx: _close(tx, message_id, plan, outcomes, errors))


class _Unsure(Exception):
    """Not a message for one receiver's step or one start (or that did not happen): the general way."""


class _Settled(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _route_in_one(ctx: CommandContext, message_id: str, thrown=None) -> str:
    """Route in one transaction a message that is this node's to route and is not kept after
    delivery: delivered in the step of the one instance that waits for it, or, when none
    waits, starting the process that starts with it. `thrown` is the row as its thrower wrote
    it, when routed right after that commit: not read again, since the statements that close
    the message (close_delivered, mark_message_started) change it only while it is still open,
    and roll the routing back otherwise."""
    starting = []

    def in_one(tx: CommandContext):
        uow = tx.uow
        message = thrown if thrown is not None else uow.repo.message_row(message_id)
        if message.status not in ROUTABLE:
            raise _Settled(message.status)
        if message.lease_owner != tx.config.node_name or message.lease_until <= utc_naive(tx.now()):
            raise _Unsure()
        receivers = uow.repo.receiving_instances(message.name, message.correlation_key, message_id)
        if not receivers and (starts := uow.repo.message_starts(message.name)):
            starting.append(True)
            return _start_by_message(tx, message, starts[0].definition_id)
        if len(receivers) != 1 or _retained(tx, message):
            raise _Unsure()
        receiver, catch = receivers[0]
        return step(tx, receiver.id, lambda uow, instance, workflow: _delivered(
            tx, uow, instance, workflow, message, close=True, catch=catch))

    try:
        outcome = ctx.transaction(in_one)
    except StepFailed:
        if starting:  # the process it started failed at once: that instance is in error
            return MessageStatus.STARTED
        def close(tx: CommandContext) -> str:  # the receiver is in error now, as a delivery would find
            plan = _Plan(None, (), False, tx.uow.repo.message(message_id).expires_at)
            return _close(tx, message_id, plan, [RECEIVER_FAILED], [])
        return ctx.transaction(close)
    except (_Settled, _Unsure):
        raise
    except Exception:  # a lost race or the database: the general way retries, counts or gives up
        log.info("routing message %s in one transaction failed; routing it the general way", message_id,
                 exc_info=True)
        raise _Unsure() from None
    if starting:
        return outcome
    if outcome is not True:  # delivered meanwhile, or the receiver moved on: the general way decides
        raise _Unsure()
    return MessageStatus.DELIVERED


def _plan(ctx: CommandContext, message_id: str) -> _Plan:
    now = ctx.now()
    stamp = utc_naive(now)
    uow = ctx.uow
    message = uow.repo.message(message_id)
    if message.status not in ROUTABLE:
        return _Plan(message.status)
    owned = message.lease_owner == ctx.config.node_name and message.lease_until > stamp
    if not owned:
        lease = utc_naive(now + timedelta(seconds=ctx.config.lease_seconds))
        if not uow.repo.claim_message(message_id, ctx.config.node_name, stamp, lease):
            return _Plan(message.status)  # another node routes it right now
    retain = _retained(ctx, message)
    receivers = uow.repo.message_receivers(message.name, message.correlation_key)
    starts = [] if receivers else uow.repo.message_starts(message.name)
    if starts:  # nobody waits and a process starts with it (deploy allows one per message name)
        return _Plan(_start_by_message(ctx, message, starts[0].definition_id))
    return _Plan(None, tuple(receivers), retain, message.expires_at)


def _close(ctx: CommandContext, message_id: str, plan: _Plan, outcomes: list[str], errors: list[str]) -> str:
    stamp = utc_naive(ctx.now())
    message = ctx.uow.repo.message(message_id)
    if RETRY in outcomes:
        # A receiver could not be reached for now: leave the message pending for a later
        # sweep (deliveries already made are not repeated), or an incident past the limit.
        if errors:  # something failed: counted, retried later, an incident past the limit
            incidents.count_failure(ctx, message, "; ".join(errors))
        else:  # a receiver was busy: free for the next sweep, as a lost race is no failure
            message.lease_owner = message.lease_until = None
            message.last_error = "a receiver was busy; retried by the sweep"
        return message.status
    if ctx.uow.repo.delivery_count(message_id) > 0:
        status = MessageStatus.RETAINED if plan.retain and plan.expires_at > stamp else MessageStatus.DELIVERED
    else:
        status = MessageStatus.EXPIRED if plan.expires_at <= stamp else MessageStatus.BUFFERED
    message.status = status
    message.routed_at = stamp if status == MessageStatus.DELIVERED else message.routed_at
    message.lease_owner = message.lease_until = None
    return status


def _retained(ctx: CommandContext, message) -> bool:
    """A message its thrower's diagram marks kedja:retain="true": after delivery it is kept
    (status retained) for catches that begin waiting later, until it expires. The thrower's
    step says so on the row; rows written before it did are asked of the thrower's version."""
    if message.retain is not None:
        return message.retain
    if not message.source_instance_id:
        return False
    definition_id = ctx.uow.repo.definition_of(message.source_instance_id)  # not the row and its state
    if definition_id is None:
        raise NotFound(f"no instance {message.source_instance_id}")
    return message.name in ctx.processes.get(definition_id, ctx.uow.repo).model.retained_messages


DELIVERED, SKIPPED, RETRY, RECEIVER_FAILED = "delivered", "skipped", "retry", "receiver failed"


def _deliver(ctx: CommandContext, cmd: DeliverMessage, errors: list[str]) -> str:
    """One delivery, as the routing sees it: a receiver that failed does not stop the others."""
    try:
        return DELIVERED if ctx.execute(cmd) is True else SKIPPED
    except ConcurrentUpdate:
        return RETRY  # lost every race: busy, not broken (not counted towards an incident)
    except StepFailed:
        return RECEIVER_FAILED  # the receiver is in error now; it gets buffered messages on retry
    except Exception as err:  # the database or a bug: never let one receiver stop the others
        log.exception("delivering message %s to %s failed", cmd.message_id, cmd.instance_id)
        errors.append(f"{type(err).__name__}: {err}")
        return RETRY


def deliver(ctx: CommandContext, cmd: DeliverMessage):
    """The DeliverMessage command: one step of the receiver (retried by the bus on a lost race)."""
    message_id = cmd.message_id

    def operate(uow, instance, workflow):
        return _delivered(ctx, uow, instance, workflow, uow.repo.message_row(message_id), cmd.close)

    return step(ctx, cmd.instance_id, operate)


_LOOK = object()


def _delivered(ctx: CommandContext, uow, instance, workflow, message, close: bool, catch=_LOOK):
    """The delivery in a receiver's step: True, or SKIP when the message reached the instance
    already, the instance is held or ended, or no catch of it waits for the message. `catch`:
    the matching catch when this transaction found it with the receiver (None: none undelivered)."""
    if instance.status not in ACTIVE_STATUSES:
        return SKIP
    wait = uow.repo.matching_wait(instance.id, message.name, message.correlation_key, undelivered=message.id) \
        if catch is _LOOK else catch
    if wait is None:
        return SKIP
    now = ctx.now()
    wf.deliver_message(workflow, wait.spiff_task_id, json.loads(message.payload), now, message.name)
    uow.repo.insert_later(Delivery, dict(message_id=message.id, instance_id=instance.id, element_id=wait.element_id,
                                         delivered_at=utc_naive(now)))
    if close and not uow.repo.close_delivered(message.id, utc_naive(now)):
        raise ConcurrentUpdate(f"message {message.id} was routed by another transaction")
    return True


def _start_by_message(ctx: CommandContext, message, definition_id: int) -> str:
    """Start one instance for the message, in the routing's own transaction. The conditional
    status change makes it once only: of two nodes (or threads) racing here, one transaction
    finds the message already started. Returns the message's status."""
    now = ctx.now()
    message_id = message.id
    process = ctx.processes.get(definition_id, ctx.uow.repo)
    use = process.model.message_starts[message.name]
    try:
        workflow = wf.start_by_message(process, use, json.loads(message.payload), now)
        instance = create_instance(ctx, process, workflow, None, now)
    except EngineError:
        raise
    except Exception as failure:  # the diagram's own logic failed: nothing of this transaction stays
        def mark(uow, instance):
            if not _mark_started(uow, message_id, instance.id, use.element_id, now):
                raise ConcurrentUpdate(f"message {message_id} was started by another node")

        def record(err=failure) -> str:
            return record_failed_start(ctx, process, {}, None, err, after=mark)

        raise DiagramFailed(failure, record) from failure
    if not _mark_started(ctx.uow, message_id, instance.id, use.element_id, now):
        raise _StartedElsewhere(f"message {message_id} was started by another node")
    return MessageStatus.STARTED


class _StartedElsewhere(ConcurrentUpdate):
    """Another transaction started a case with this message first: this one must roll back."""


def _mark_started(uow, message_id: str, instance_id: str, element_id: str, now) -> bool:
    uow.repo.flush()  # the new instance's rows first: the delivery refers to them
    if not uow.repo.mark_message_started(message_id, utc_naive(now)):
        return False
    uow.repo.insert_later(Delivery, dict(message_id=message_id, instance_id=instance_id, element_id=element_id,
                                         delivered_at=utc_naive(now)))
    return True
