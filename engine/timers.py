"""Background work: claim what is due in a short transaction, then run each item in its own
unit of work, so that one failing item never blocks the rest and no two nodes run one item."""
from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from . import incidents
from .bus import CommandContext
from .clock import utc_naive
from .commands import FireTimer, RouteMessage, Sweep
from .errors import ConcurrentUpdate, StepFailed
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import WaitKind
from .steps import step
from .uow import SKIP

log = logging.getLogger("kedja.timers")


@dataclass(frozen=True)
class SweepReport:
    timers_fired: int = 0
    timers_failed: int = 0
    messages_routed: int = 0
    messages_expired: int = 0


def fire(ctx: CommandContext, cmd: FireTimer) -> bool:
    """The FireTimer command: fire one claimed timer. False when the instance moved on (or is
    held) meanwhile."""
    wait_id = cmd.wait_id
    wait = ctx.uow.repo.wait(wait_id)
    if wait is None or wait.kind != WaitKind.TIMER:
        return False

    def operate(uow, instance, workflow):
        if instance.status not in ACTIVE_STATUSES:
            return SKIP
        wf.fire_due_timers(workflow, ctx.now())
        return True

    return step(ctx, wait.instance_id, operate) is True


def sweep(ctx: CommandContext, cmd: Sweep) -> SweepReport:
    """One pass: expire old buffered messages, route stranded outbox rows and buffered messages
    that now have a receiver, fire due timers. Each item is a top-level command of its own (its
    own unit of work and after-commit routing), so one failing item never stops the rest."""
    bus, limit = ctx.bus, cmd.limit
    now = ctx.now()
    stamp = utc_naive(now)
    expired = ctx.transaction(lambda tx: tx.uow.repo.expire_messages(stamp))
    message_ids = ctx.transaction(lambda tx: tx.uow.repo.unrouted_messages(stamp, limit)
                                  + tx.uow.repo.buffered_with_receiver(stamp, limit))

    def route_one(message_id: str) -> bool:
        try:
            bus.execute(RouteMessage(message_id))
        except ConcurrentUpdate as err:  # a lost race, not a failure: a later sweep tries again
            log.info("routing message %s: %s", message_id, err)
            return False
        except Exception as err:  # isolate: a later sweep tries again, up to the limit
            log.exception("routing message %s failed", message_id)
            ctx.transaction(lambda tx, e=err: incidents.message_failed(tx, message_id, e))
            return False
        return True

    routed = sum(_each(ctx, message_ids, route_one))
    lease = utc_naive(now + timedelta(seconds=ctx.config.lease_seconds))
    timer_ids = ctx.transaction(lambda tx: tx.uow.repo.claim_due_timers(stamp, tx.config.node_name, lease, limit))

    def fire_one(wait_id: int) -> bool | None:
        """True: fired; False: nothing to do; None: failed."""
        try:
            return bus.execute(FireTimer(wait_id))
        except StepFailed as err:  # the diagram failed: its instance is in error, an incident itself
            log.warning("timer %s: %s", wait_id, err)
            return None
        except ConcurrentUpdate as err:  # a lost race: not the timer's fault; the lease runs out
            log.info("timer %s: %s", wait_id, err)
            return None
        except Exception as err:  # the database, a bug: counted, retried later, then an incident
            log.warning("timer %s failed: %s", wait_id, err)
            ctx.transaction(lambda tx, e=err: incidents.timer_failed(tx, wait_id, e))
            return None

    outcomes = _each(ctx, timer_ids, fire_one)
    fired, failed = sum(o is True for o in outcomes), sum(o is None for o in outcomes)
    return SweepReport(fired, failed, routed, expired)


def _each(ctx: CommandContext, items: list, run: Callable[[Any], Any]) -> list:
    """Run `run` on every item, several at once: an item whose script runs to its limit then
    holds one thread, not the whole sweep (each item is its own unit of work)."""
    threads = min(ctx.config.sweep_threads, len(items))
    if threads <= 1:
        return [run(item) for item in items]
    # Each item runs in a copy of this thread's context: the engine's zone, settings and script
    # limits are context variables (engine.stepping), which new threads do not inherit.
    context = contextvars.copy_context()
    with ThreadPoolExecutor(threads, thread_name_prefix="kedja-sweep") as pool:
        return list(pool.map(lambda item: context.copy().run(run, item), items))
