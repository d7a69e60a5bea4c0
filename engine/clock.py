"""Time as the engine sees it. Tests freeze and advance it instead of sleeping."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

log = logging.getLogger("kedja.engine")


def utc_naive(moment: datetime) -> datetime:
    """Datetimes are stored as naive UTC so that SQLite and PostgreSQL compare them alike."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


class Clock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock(Clock):
    """A clock that only moves when told to; safe to share between threads."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)).astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(timezone.utc)


class DemoClock(Clock):
    """Demo mode's clock (`kedja demo`): the time of `base` (the real clock) plus how far an
    administrator has moved it forward, an offset kept in the database (the demo_clock table) so
    that every service process on one database tells the same time.

    `read_offset` reads the offset in seconds; it is called at most once per `refresh_seconds`
    of real time, not on every call, so the clock costs no query per step. Another process's move
    is seen within that time; this process's own move at once (`moved`)."""

    def __init__(self, read_offset: Callable[[], float], base: Clock | None = None,
                 refresh_seconds: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._read_offset = read_offset
        self._base = base or Clock()
        self._refresh = refresh_seconds
        self._monotonic = monotonic
        self._offset = 0.0
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def offset(self) -> timedelta:
        with self._lock:
            tick = self._monotonic()
            if self._read_at is None or tick - self._read_at >= self._refresh:
                try:
                    self._offset = float(self._read_offset())
                    self._read_at = tick
                except Exception:  # the database is away: the last offset until it answers
                    log.warning("reading the demo clock failed; its last offset is used", exc_info=True)
            return timedelta(seconds=self._offset)

    def now(self) -> datetime:
        return self._base.now() + self.offset()

    def real_now(self) -> datetime:
        """The time without the offset (when the clock was moved, as it happened)."""
        return self._base.now()

    def moved(self, offset_seconds: float) -> None:
        """This process moved the clock: its new offset holds now (no wait for the next read)."""
        with self._lock:
            self._offset = float(offset_seconds)
            self._read_at = self._monotonic()
