"""The values of the status and kind columns, as enums. They are `str` enums, so a value read
from the database compares equal to its member and a member is stored as its text."""
from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    RUNNING = "running"  # a user task is open
    WAITING = "waiting"  # for a message or a timer only
    COMPLETED = "completed"
    ERROR = "error"  # a step failed: an administrator retries, resets or terminates it
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


ACTIVE = (InstanceStatus.RUNNING, InstanceStatus.WAITING)
FINISHED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


class TaskState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the instance went on without it (a boundary event, a reset, an end)


class WaitKind(StrEnum):
    MESSAGE = "message"
    TIMER = "timer"


class MessageStatus(StrEnum):
    PENDING = "pending"  # in the outbox, to be routed
    BUFFERED = "buffered"  # nobody waits for it yet; kept until it expires
    DELIVERED = "delivered"  # to every catch that waited for it
    # Delivered, and kept for catches that begin waiting later until it expires: a message the
    # diagram marks kedja:retain="true" (a decision a late participant must still learn).
    RETAINED = "retained"
    STARTED = "started"  # it started an instance (a message start event)
    EXPIRED = "expired"
    FAILED = "failed"  # routing failed too often: an incident for an administrator


ROUTABLE = (MessageStatus.PENDING, MessageStatus.BUFFERED, MessageStatus.RETAINED)
