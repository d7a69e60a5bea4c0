"""Background work: claim what is due in a short transaction, then run each item in its own
unit of work, so that one failing item never blocks the rest and no two nodes run one item."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from . import messaging
from . import workflow as wf
from .clock import utc_naive
from .errors import ConcurrentUpdate, StepFailed
from .repository import ACTIVE_STATUSES
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
        if wait is None or wait.kind != "timer":
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
    routed = 0
    for message_id in message_ids:
        follow = FollowUps()  # a queue per item keeps failures apart
        try:
            messaging.route(engine, message_id, follow)
            engine.drain(follow)
            routed += 1
        except Exception:  # isolate: the next sweep tries again
            log.exception("routing message %s failed", message_id)
    with engine.uow() as uow:
        lease = utc_naive(now + timedelta(seconds=engine.config.lease_seconds))
        timer_ids = uow.repo.claim_due_timers(stamp, engine.config.node_name, lease, limit)
        uow.commit()
    fired = failed = 0
    for wait_id in timer_ids:
        follow = FollowUps()  # a queue per item keeps failures apart
        try:
            fired += fire(engine, wait_id, follow)
            engine.drain(follow)
        except (StepFailed, ConcurrentUpdate) as err:  # the lease runs out and a later sweep retries
            failed += 1
            log.warning("timer %s: %s", wait_id, err)
        except Exception:
            failed += 1
            log.exception("timer %s failed", wait_id)
    return SweepReport(fired, failed, routed, expired)
