"""Demo mode's clock (`kedja demo`): how far an administrator has moved time forward, and the
command that moves it (`AdvanceDemoClock`).

The offset is one row of the demo_clock table, so every service process on the database tells
the same time (engine/clock.py's `DemoClock` reads it at most once a second). Moving it is one
transaction; the timers that fell due are then fired at once, each in a unit of work of its
own, as the sweep fires them. Outside demo mode the table is never read and the command is
refused: production runs on the real clock."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forms import FieldError

from .bus import CommandContext
from .clock import DemoClock, utc_naive
from .commands import AdvanceDemoClock, Sweep
from .errors import Forbidden, InvalidInput, NotInDemoMode
from .models import DemoClockRow, User

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine

ROW_ID = 1
# The furthest one move may go (a year and a bit: a contract's whole follow-up).
MAX_DAYS = 400
# Timers fired by one move: passes of the sweep while they still find due timers (a fired timer
# may lead straight to another that is due, e.g. a deadline already passed).
MAX_SWEEPS = 20


@dataclass(frozen=True)
class DemoTime:
    """The demo clock as it stands: its time, how far it is ahead of the real time, who moved it
    last and when (real time, UTC), and the timers the move fired (AdvanceDemoClock only)."""

    now: datetime
    offset_seconds: float
    moved_by: str | None = None
    moved_at: datetime | None = None
    timers_fired: int = 0


def read_offset(session_factory: sessionmaker[Session]) -> float:
    """The offset in seconds (0 before anyone moved the clock)."""
    with session_factory() as session:
        offset = session.scalar(select(DemoClockRow.offset_seconds).where(DemoClockRow.id == ROW_ID))
    return float(offset or 0.0)


def demo_clock(engine: "Engine", base, refresh_seconds: float) -> DemoClock:
    return DemoClock(lambda: read_offset(engine.session_factory), base, refresh_seconds)


def state(engine: "Engine") -> DemoTime:
    """The demo clock now (the real clock, offset 0, outside demo mode)."""
    if not engine.config.demo:
        return DemoTime(engine.now(), 0.0)
    with engine.session_factory() as session:
        row = session.get(DemoClockRow, ROW_ID)
        moved_by, moved_at = (row.moved_by, row.moved_at) if row else (None, None)
        offset = row.offset_seconds if row else 0.0
    return DemoTime(engine.now(), float(offset or 0.0), moved_by, moved_at)


def _delta(cmd: AdvanceDemoClock) -> timedelta:
    problems = []
    for name in ("days", "hours"):
        value = getattr(cmd, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            problems.append(FieldError(name, "Ange ett tal som inte är negativt"))
    if problems:
        raise InvalidInput("days and hours must be numbers, not negative", problems)
    delta = timedelta(days=cmd.days, hours=cmd.hours)
    if delta <= timedelta(0):
        raise InvalidInput("move the clock forward by more than nothing",
                           [FieldError("days", "Ange hur långt klockan ska spolas fram")])
    if delta > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"move the clock by {MAX_DAYS} days at most at a time",
                           [FieldError("days", f"Högst {MAX_DAYS} dagar åt gången")])
    return delta


def advance(ctx: CommandContext, cmd: AdvanceDemoClock) -> DemoTime:
    """Move the demo clock forward (an administrator, in demo mode only), then fire what fell due."""
    if not ctx.config.demo or not isinstance(ctx.clock, DemoClock):
        raise NotInDemoMode("the clock can be moved in demo mode only (kedja demo); here it is the real time")
    delta = _delta(cmd)

    def move(tx: CommandContext) -> tuple[float, str, datetime]:
        user = tx.uow.session.get(User, cmd.actor.username)
        if user is None or "admin" not in user.roles.split():
            raise Forbidden("this needs the role admin")
        row = tx.uow.session.scalar(select(DemoClockRow).where(DemoClockRow.id == ROW_ID).with_for_update())
        if row is None:
            row = DemoClockRow(id=ROW_ID, offset_seconds=0.0)
            tx.uow.repo.add(row)
        row.offset_seconds = float(row.offset_seconds or 0.0) + delta.total_seconds()
        row.moved_by = cmd.actor.username
        row.moved_at = utc_naive(tx.clock.real_now())
        return row.offset_seconds, row.moved_by, row.moved_at

    offset, moved_by, moved_at = ctx.transaction(move)
    ctx.clock.moved(offset)
    fired = 0
    for _ in range(MAX_SWEEPS):  # the sweep at once, not in up to five seconds
        report = ctx.execute(Sweep(ctx.config.sweep_batch_size))
        fired += report.timers_fired
        if not report.timers_fired:
            break
    return DemoTime(ctx.now(), offset, moved_by, moved_at, fired)
