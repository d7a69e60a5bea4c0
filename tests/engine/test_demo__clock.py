"""Demo mode's clock: an administrator moves it forward and the timers that fell due fire at once;
the offset lives in the database, so several engines on one database tell the same time (each
reads it at most once per refresh period). Outside demo mode the clock is the real one and
cannot be moved."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from engine import demo
from engine.accounts import add_organisation, add_user
from engine.clock import DemoClock
from engine.commands import Actor, AdvanceDemoClock, StartInstance
from engine.errors import Forbidden, InvalidInput, InvalidState, NotInDemoMode
from engine.models import DemoClockRow

from ..helpers import deploy

ADMIN = Actor("anna", "Upphandlingsbolaget")
CASEWORKER = Actor("stina", "Upphandlingsbolaget")


def _accounts(engine) -> None:
    with engine.uow() as uow:
        add_organisation(uow, "Upphandlingsbolaget", "support_function")
        uow.repo.flush()
        add_user(uow, "anna", "Upphandlingsbolaget", ["admin"], engine.now())
        add_user(uow, "stina", "Upphandlingsbolaget", ["caseworker", "process_owner"], engine.now())
        uow.commit()


@pytest.fixture
def demo_engine(make_engine):
    engine = make_engine(demo=True)
    _accounts(engine)
    return engine


def _row(engine) -> DemoClockRow | None:
    with engine.session_factory() as session:
        return session.get(DemoClockRow, 1)


def test_moving_the_clock_fires_the_timer_that_fell_due(demo_engine, clock):
    deploy(demo_engine, "deadlines.bpmn")  # waits 30 days for its first report
    started = demo_engine.execute(StartInstance("deadlines"))
    before = demo_engine.now()
    assert before == clock.now()  # not moved yet: the real time

    moved = demo_engine.execute(AdvanceDemoClock(ADMIN, days=10))
    assert moved.timers_fired == 0 and moved.now == before + timedelta(days=10)
    assert demo_engine.queries.instance(started.id)["open_tasks"] == []

    moved = demo_engine.execute(AdvanceDemoClock(ADMIN, days=20, hours=1))
    assert moved.timers_fired == 1  # at once, not at the next background sweep
    [report] = demo_engine.queries.instance(started.id)["open_tasks"]
    assert report.element_id == "report"
    assert report.created_at == (before + timedelta(days=30, hours=1)).replace(tzinfo=None)  # in demo time
    assert moved.offset_seconds == timedelta(days=30, hours=1).total_seconds()
    assert clock.now() == before  # the real time did not move

    row = _row(demo_engine)
    assert row.moved_by == "anna" and row.moved_at == before.replace(tzinfo=None)  # who, and when really
    assert demo.state(demo_engine).moved_by == "anna"


def test_the_demo_clock_is_refused_outside_demo_mode(engine, clock):
    _accounts(engine)
    with pytest.raises(NotInDemoMode, match="demo mode only") as refused:
        engine.execute(AdvanceDemoClock(ADMIN, days=10))
    assert isinstance(refused.value, InvalidState)  # the API answers 409
    assert engine.now() == clock.now() and _row(engine) is None
    assert demo.state(engine).offset_seconds == 0


@pytest.mark.parametrize("actor", [CASEWORKER, Actor("nobody", "Upphandlingsbolaget"), Actor.system()])
def test_only_an_administrator_moves_the_clock(demo_engine, actor):
    before = demo_engine.now()
    with pytest.raises(Forbidden, match="this needs the role admin"):
        demo_engine.execute(AdvanceDemoClock(actor, days=1))
    assert demo_engine.now() == before and _row(demo_engine) is None


@pytest.mark.parametrize("days, hours", [(0, 0), (-1, 0), (0, -2), (401, 0), (float("nan"), 0)])
def test_the_clock_moves_forward_by_something_sensible(demo_engine, days, hours):
    with pytest.raises(InvalidInput):
        demo_engine.execute(AdvanceDemoClock(ADMIN, days=days, hours=hours))
    assert _row(demo_engine) is None


def test_engines_on_one_database_agree_after_the_refresh_period(make_engine, clock):
    first = make_engine(demo=True)
    _accounts(first)
    second = make_engine(demo=True, demo_clock_refresh_seconds=0.2)
    assert second.now() == first.now() == clock.now()
    first.execute(AdvanceDemoClock(ADMIN, days=10))
    assert first.now() == clock.now() + timedelta(days=10)  # its own move at once
    time.sleep(0.25)
    assert second.now() == first.now()  # the other's within the refresh period


def test_the_offset_is_read_once_per_refresh_period(make_engine, clock):
    """Not a query per call: a tick source decides when the offset is read again."""
    engine = make_engine(demo=True)
    _accounts(engine)
    reads, ticks = [], [100.0]

    def read():
        reads.append(1)
        return demo.read_offset(engine.session_factory)

    other = DemoClock(read, clock, refresh_seconds=1.0, monotonic=lambda: ticks[0])
    assert other.now() == clock.now() and len(reads) == 1
    engine.execute(AdvanceDemoClock(ADMIN, hours=5))
    ticks[0] += 0.5
    assert other.now() == clock.now() and len(reads) == 1  # still within the period: the old offset
    ticks[0] += 0.6
    assert other.now() == clock.now() + timedelta(hours=5) and len(reads) == 2


def test_a_database_that_does_not_answer_keeps_the_last_offset(clock):
    answers = [3600.0]

    def read():
        if not answers:
            raise ConnectionError("database away")
        return answers.pop()

    ticks = [0.0]
    demo_clock = DemoClock(read, clock, refresh_seconds=1.0, monotonic=lambda: ticks[0])
    assert demo_clock.now() == clock.now() + timedelta(hours=1)
    ticks[0] += 5
    assert demo_clock.now() == clock.now() + timedelta(hours=1)
