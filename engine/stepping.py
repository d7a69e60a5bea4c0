"""The step being run: its moment (the engine's clock), the city's zone and the model's settings.

A context variable, so that engines with different settings in one process, and threads running
steps at the same time, do not see each other's: nothing here is module-wide state that an
engine sets. Scripts' `datetime`/`date` (engine/sandbox.py) and SpiffWorkflow's timers
(engine/spiff/patches.py) read the step's moment and zone from here, so that `datetime.now()` in
a script and a timer date without a zone mean the same wall time.
"""
from __future__ import annotations

import contextvars
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from types import MappingProxyType
from typing import Any, Iterator
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class StepContext:
    now: datetime | None
    zone: ZoneInfo
    settings: Mapping[str, Any]


_step: contextvars.ContextVar[StepContext] = contextvars.ContextVar(
    "kedja_step", default=StepContext(None, ZoneInfo("Europe/Stockholm"), MappingProxyType({})))  # noqa: B039 (frozen)


@contextmanager
def step_context(now: datetime | None, zone: str | None = None, settings: dict | None = None) -> Iterator[None]:
    """Run code as part of a step at `now`, in `zone`, reading `settings` (each defaults to the
    enclosing step's)."""
    current = _step.get()
    token = _step.set(StepContext(
        now, ZoneInfo(zone) if zone else current.zone,
        MappingProxyType(dict(settings)) if settings is not None else current.settings))
    try:
        yield
    finally:
        _step.reset(token)


def zone() -> ZoneInfo:
    return _step.get().zone


def zone_name() -> str:
    return _step.get().zone.key


def step_moment() -> datetime | None:
    return _step.get().now


def current_settings() -> dict:
    return dict(_step.get().settings)


def _moment() -> datetime:
    return _step.get().now or datetime.now(timezone.utc)


class CityDatetime(datetime):
    """`datetime` as diagrams see it: now() is the step's moment as the city's wall time.
    Constructing one gives a plain datetime, so task data never holds this class."""

    def __new__(cls, *args, **kwargs):
        return datetime(*args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        moment = _moment()
        return moment.astimezone(tz) if tz is not None else moment.astimezone(zone()).replace(tzinfo=None)

    @classmethod
    def today(cls):
        return cls.now()

    @classmethod
    def utcnow(cls):
        return _moment().astimezone(timezone.utc).replace(tzinfo=None)


class CityDate(date):
    def __new__(cls, *args, **kwargs):
        return date(*args, **kwargs)

    @classmethod
    def today(cls):
        return CityDatetime.now().date()


def current_settings_view() -> Mapping[str, Any]:
    return _step.get().settings
