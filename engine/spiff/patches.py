"""What Kedja changes in SpiffWorkflow, in one place, applied once at import.

Each patch rests on an assumption about SpiffWorkflow's internals; tests/unit/test_spiff__patches.py
checks each one, so that an upgrade which breaks it fails there and not in production.

- Time. SpiffWorkflow's timer module calls `datetime.now()` and reads `LOCALTZ` itself. Its
  `datetime` becomes a subclass whose `now()` is the moment of the step being run (the engine's
  clock, so tests and the demo clock move time without sleeping), and `LOCALTZ` a zone that
  stands for the zone of the step being run. Both read the step's context variable
  (engine.stepping): engines with different zones in one process, and threads
  running steps at once, do not see each other's; no engine sets module-wide state.
- Depth. SpiffWorkflow's task iterators stop at depth 1,000 by default, and every pass through
  a loop adds to the depth: past it, ready tasks are no longer seen and the instance silently
  stops. A long-lived case (a follow-up loop, a monthly report over years) goes deeper.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import Iterator

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator as SpiffTaskIterator

from .. import stepping

MAX_TASK_DEPTH = 1_000_000


class _StepDatetime(datetime):
    """`datetime` in SpiffWorkflow's timer module: now() is the step's moment, if a step runs."""

    @classmethod
    def now(cls, tz=None):
        moment = stepping.step_moment()
        if moment is None:
            return datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


class _StepZone(tzinfo):
    """The zone of the step being run: a timer date without a zone (`2026-07-01T09:00`) means the
    city's wall time, summer or winter, as a script's `datetime.now()` does."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return stepping.zone().utcoffset(None if dt is None else dt.replace(tzinfo=None))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return stepping.zone().dst(None if dt is None else dt.replace(tzinfo=None))

    def tzname(self, dt: datetime | None) -> str | None:
        return stepping.zone().tzname(None if dt is None else dt.replace(tzinfo=None))

    def fromutc(self, dt: datetime) -> datetime:
        zone = stepping.zone()
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)


def _deepen(iterator: type) -> None:
    defaults = list(iterator.__init__.__defaults__)
    defaults[1] = MAX_TASK_DEPTH  # (end_at_spec, max_depth, ...)
    iterator.__init__.__defaults__ = tuple(defaults)


spiff_timer.datetime = _StepDatetime
spiff_timer.LOCALTZ = _StepZone()
for _iterator in (SpiffTaskIterator, BpmnTaskIterator):
    _deepen(_iterator)


@contextmanager
def engine_time(now: datetime, zone: str | None = None, settings: dict | None = None) -> Iterator[None]:
    """Run SpiffWorkflow (and the scripts and expressions it calls) as a step at `now`."""
    with stepping.step_context(now, zone, settings):
        yield
