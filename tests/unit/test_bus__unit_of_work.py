"""The command bus owns the unit of work: a handler's writes are committed when it returns and
rolled back when it refuses; after-commit work runs only once the work is durable; a failure of
the diagram's own logic is rolled back and then recorded apart; lost races are retried for the
commands that ask for it. Each test gives the bus handlers of its own."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine import stepping
from engine.bus import CommandBus, DiagramFailed, Handler
from engine.errors import ConcurrentUpdate, InvalidState, StepFailed
from engine.models import AuditEntry


@dataclass(frozen=True)
class Note:
    text: str


def _bus(engine, run, **options) -> CommandBus:
    return CommandBus(engine.bus.services, {Note: Handler(run, **options)})


def _notes(engine) -> list[str]:
    with engine.session_factory() as session:
        return [entry.detail for entry in session.query(AuditEntry).order_by(AuditEntry.id)]


def _write(ctx, text: str) -> None:
    ctx.uow.repo.add(AuditEntry(at=ctx.now(), username="test", action="note", instance_id="-", detail=text))


def test_what_a_handler_writes_is_committed_when_it_returns(memory_engine):
    bus = _bus(memory_engine, lambda ctx, cmd: _write(ctx, cmd.text) or "done")
    assert bus.execute(Note("first")) == "done"
    assert _notes(memory_engine) == ["first"]


def test_a_refusal_writes_nothing_and_runs_no_after_commit_work(memory_engine):
    after = []

    def refuse(ctx, cmd):
        _write(ctx, cmd.text)
        ctx.uow.after_commit(lambda: after.append("ran"))
        raise InvalidState("not now")

    with pytest.raises(InvalidState):
        _bus(memory_engine, refuse).execute(Note("half"))
    assert _notes(memory_engine) == []
    assert after == []


def test_after_commit_work_sees_the_committed_rows(memory_engine):
    seen = []

    def handler(ctx, cmd):
        _write(ctx, cmd.text)
        ctx.uow.after_commit(lambda: seen.append(_notes(memory_engine)))

    _bus(memory_engine, handler).execute(Note("durable"))
    assert seen == [["durable"]]


def test_a_diagram_failure_is_rolled_back_then_recorded_apart(memory_engine):
    def record() -> str:  # runs after the rollback: the handler's row is gone, this one stays
        with memory_engine.uow() as uow:
            uow.repo.add(AuditEntry(at=memory_engine.now(), username="test", action="error", instance_id="i-1",
                                    detail=f"recorded with {_notes(memory_engine)}"))
            uow.commit()
        return "i-1"

    def fail(ctx, cmd):
        _write(ctx, cmd.text)
        raise DiagramFailed(ZeroDivisionError("division by zero"), record)

    with pytest.raises(StepFailed) as failed:
        _bus(memory_engine, fail).execute(Note("lost"))
    assert failed.value.instance_id == "i-1"
    assert "division by zero" in str(failed.value)
    assert _notes(memory_engine) == ["recorded with []"]


def test_a_lost_race_is_retried_when_the_command_asks_for_it(memory_engine):
    tries = []

    def racy(ctx, cmd):
        tries.append(cmd.text)
        if len(tries) < 3:
            _write(ctx, "lost")
            raise ConcurrentUpdate("another node won")
        _write(ctx, cmd.text)

    _bus(memory_engine, racy, retries=lambda config: 3).execute(Note("won"))
    assert len(tries) == 3
    assert _notes(memory_engine) == ["won"]  # the lost tries left nothing

    tries.clear()
    with pytest.raises(ConcurrentUpdate):
        _bus(memory_engine, racy).execute(Note("once"))
    assert len(tries) == 1


def test_a_process_of_commands_commits_each_piece_on_its_own(memory_engine):
    def process(ctx, cmd):
        assert ctx.uow is None  # no unit of work spans the whole process
        ctx.transaction(lambda tx: _write(tx, "first piece"))
        ctx.transaction(lambda tx: (_write(tx, "second piece"), 1 / 0))

    with pytest.raises(ZeroDivisionError):
        _bus(memory_engine, process, transactional=False).execute(Note("process"))
    assert _notes(memory_engine) == ["first piece"]


def test_handlers_run_with_the_engines_zone_and_settings(memory_engine):
    seen = _bus(memory_engine, lambda ctx, cmd: (stepping.zone_name(), stepping.current_settings())).execute(
        Note("zone"))
    assert seen == (memory_engine.config.timezone, memory_engine.model_settings)
