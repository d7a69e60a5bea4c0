"""Background work: claim what is due in a short transaction, then run each item in its own
unit of work, so that one failing item never blocks the rest and no two nodes run one item."""
from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from . import incidents, messaging
from .clock import utc_naive
from .errors import ConcurrentUpdate, StepFailed
from .repository import ACTIVE_STATUSES
from .spiff import workflow as wf
from .statuses import WaitKind
from .uow import SKIP, FollowUps

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine

log = logging.getLogger("kedja.timers")


@dataclass(frozen=True)
class SweepReport:
    timers_fired: int = 0
    timers_failed: int = 0
    messages_routed: int = 0
    messages_expired: int = 0


def fire(engine: "Engine", wait_id: int, follow: FollowUps) -> bool:
    """Fire one claimed timer. False when the instance moved on (or is held) meanwhile."""
    with engine.uow() as uow:
        wait = uow.repo.wait(wait_id)
        if wait is None or wait.kind != WaitKind.TIMER:
            return False
        instance_id = wait.instance_id

    def operate(uow, instance, workflow):
        if instance.status not in ACTIVE_STATUSES or uow.repo.wait(wait_id) is None:
            return SKIP
        wf.fire_due_timers(workflow, engine.now())
        return True

    return engine.step(instance_id, operate, follow) is True


def sweep(engine: "Engine", limit: int) -> SweepReport:
    """One pass: expire old buffered messages, route stranded outbox rows and buffered messages
    that now have a receiver, fire due timers."""
    now = engine.now()
    stamp = utc_naive(now)
    with engine.uow() as uow:
        expired = uow.repo.expire_messages(stamp)
        uow.commit()
    with engine.uow() as uow:
        message_ids = uow.repo.unrouted_messages(stamp, limit) + uow.repo.buffered_with_receiver(stamp, limit)

    def route_one(message_id: str) -> bool:
        follow = FollowUps()  # a queue per item keeps failures apart
        try:
            messaging.route(engine, message_id, follow)
        except ConcurrentUpdate as err:  # a lost race, not a failure: a later sweep tries again
            log.info("routing message %s: %s", message_id, err)
            return False
        except Exception as err:  # isolate: a later sweep tries again, up to the limit
            log.exception("routing message %s failed", message_id)
            incidents.message_failed(engine, message_id, err)
            return False
        engine.drain(follow)
        return True

    routed = sum(_each(engine, message_ids, route_one))
    with engine.uow() as uow:
        lease = utc_naive(now + timedelta(seconds=engine.config.lease_seconds))
        timer_ids = uow.repo.claim_due_timers(stamp, engine.config.node_name, lease, limit)
        uow.commit()

    def fire_one(wait_id: int) -> bool | None:
        """True: fired; False: nothing to do; None: failed."""
        follow = FollowUps()
        try:
            fired = fire(engine, wait_id, follow)
        except StepFailed as err:  # the diagram failed: its instance is in error, an incident itself
            log.warning("timer %s: %s", wait_id, err)
            return None
        except ConcurrentUpdate as err:  # a lost race: not the timer's fault; the lease runs out
            log.info("timer %s: %s", wait_id, err)
            return None
        except Exception as err:  # the database, a bug: counted, retried later, then an incident
            log.warning("timer %s failed: %s", wait_id, err)
            incidents.timer_failed(engine, wait_id, err)
            return None
        engine.drain(follow)
        return fired

    outcomes = _each(engine, timer_ids, fire_one)
    fired, failed = sum(o is True for o in outcomes), sum(o is None for o in outcomes)
    return SweepReport(fired, failed, routed, expired)


def _each(engine: "Engine", items: list, run: Callable[[Any], Any]) -> list:
    """Run `run` on every item, several at once: an item whose script runs to its limit then
    holds one thread, not the whole sweep (each item is its own unit of work)."""
    threads = min(engine.config.sweep_threads, len(items))
    if threads <= 1:
        return [run(item) for item in items]
    # Each item runs in a copy of this thread's context: the engine's zone, settings and script
    # limits are context variables (engine.stepping), which new threads do not inherit.
    context = contextvars.copy_context()
    with ThreadPoolExecutor(threads, thread_name_prefix="kedja-sweep") as pool:
        return list(pool.map(lambda item: context.copy().run(run, item), items))
