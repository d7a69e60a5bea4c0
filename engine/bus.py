"""The command bus: every command runs through one chain of interceptors, as in Camunda 7's
command executor. The chain, outermost first:

1. step settings: the city's zone, the model's settings and the script limits (context
   variables, so two engines in one process never share them);
2. retries: a command registered with retries runs again when it lost a race (deploy, a
   delivery), with a short random backoff;
3. the unit of work: opened here, committed here when the handler returns, rolled back when it
   raises; the database's errors are translated (a lost race becomes ConcurrentUpdate); a step
   that failed in the diagram's own logic (DiagramFailed) is rolled back and then recorded on
   its instance in a transaction of its own, and the caller gets StepFailed.

After a top-level command, the bus delivers what it threw (after-commit work), up to
`inline_routes` messages; the rest is left to the sweep.

A handler is `handler(ctx, cmd)`: it gets a CommandContext (the unit of work, the follow-up
queue, the clock, the caches and settings it may need), never the Engine. A handler
registered `transactional=False` is a process of several commands (routing a message, the
sweep, a batch migration): it gets no unit of work and runs each piece through the bus again,
with `ctx.execute(cmd)` or, for a small piece of its own, `ctx.transaction(fn)` (Camunda's
inline command).
"""
from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from sqlalchemy.exc import SQLAlchemyError

from . import script_pool, stepping
from .commands import RouteMessage
from .errors import ConcurrentUpdate, EngineError, StepFailed
from .incidents import message_failed
from .spiff import workflow as wf
from .uow import FollowUps, UnitOfWork, translate

log = logging.getLogger("kedja.bus")


class DiagramFailed(Exception):
    """Raised inside a unit of work when the diagram's own logic failed: the bus rolls the unit
    back, then calls `record()` (which writes the failure on an instance in a transaction of
    its own and returns that instance's id) and raises StepFailed."""

    def __init__(self, failure: Exception, record: Callable[[], str]) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.record = record


@dataclass(frozen=True)
class Handler:
    run: Callable[["CommandContext", Any], Any]
    transactional: bool = True
    # Lost races (ConcurrentUpdate) retried this many times in all (read from the config).
    retries: Callable[[Any], int] | None = None
    backoff: bool = False  # sleep a random, doubling moment between tries


class Services:
    """What handlers may use besides their unit of work: the configuration, the clock and the
    caches of what deploys change. The Engine builds one and keeps it."""

    def __init__(self, *, config, clock, session_factory, processes, workflows, forms, start_menu,
                 queries, model_settings, script_limits) -> None:
        self.config = config
        self.model_settings = model_settings
        self.script_limits = script_limits
        self.clock = clock
        self.session_factory = session_factory
        self.processes = processes
        self.workflows = workflows
        self.forms = forms
        self.start_menu = start_menu
        self.queries = queries


class CommandContext:
    """One command's view of the engine."""

    def __init__(self, bus: "CommandBus", follow: FollowUps) -> None:
        self.bus = bus
        self.follow = follow
        self.uow: UnitOfWork | None = None
        services = bus.services
        self.config = services.config
        self.clock = services.clock
        self.processes = services.processes
        self.workflows = services.workflows
        self.forms = services.forms
        self.start_menu = services.start_menu
        self.queries = services.queries

    def now(self) -> datetime:
        return self.clock.now()

    def execute(self, command) -> Any:
        """Run a sub-command through the bus, in a unit of work of its own; what it throws joins
        this command's follow-up queue."""
        return self.bus.run(command, self.follow)

    def transaction(self, fn: Callable[["CommandContext"], Any]) -> Any:
        """Run `fn(ctx)` as an inline command: a unit of work of its own, through the chain."""
        return self.bus.run_inline(fn, self.follow)

    def fresh(self) -> UnitOfWork:
        """A unit of work beside the command's (recording a failure after the rollback)."""
        return UnitOfWork(self.bus.services.session_factory)


class CommandBus:
    def __init__(self, services: Services, handlers: dict[type, Handler]) -> None:
        self.services = services
        self.handlers = handlers

    def execute(self, command) -> Any:
        """A top-level command: run it, then deliver what it threw."""
        follow = FollowUps()
        with self.settings():
            result = self.run(command, follow)
            self.drain(follow)
        return result

    def run(self, command, follow: FollowUps) -> Any:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise EngineError(f"unknown command {type(command).__name__}")
        ctx = CommandContext(self, follow)
        with self.settings():
            return self._with_retries(handler, lambda: self._in_unit_of_work(
                handler.transactional, ctx, lambda: handler.run(ctx, command)))

    def run_inline(self, fn: Callable[[CommandContext], Any], follow: FollowUps) -> Any:
        ctx = CommandContext(self, follow)
        with self.settings():
            return self._in_unit_of_work(True, ctx, lambda: fn(ctx))

    # --- the interceptors ------------------------------------------------------------------
    @contextmanager
    def settings(self) -> Iterator[None]:
        services = self.services
        with stepping.step_context(None, services.config.timezone, services.model_settings), \
                script_pool.script_limits(services.script_limits):
            yield

    def _with_retries(self, handler: Handler, call: Callable[[], Any]) -> Any:
        tries = handler.retries(self.services.config) if handler.retries else 1
        for attempt in range(tries):
            try:
                return call()
            except ConcurrentUpdate:
                if attempt == tries - 1:
                    raise
                if handler.backoff:
                    time.sleep(random.uniform(0, 0.01 * 2 ** attempt))
        raise AssertionError("unreachable")

    @staticmethod
    def _in_unit_of_work(transactional: bool, ctx: CommandContext, call: Callable[[], Any]) -> Any:
        if not transactional:
            return call()
        try:
            with UnitOfWork(ctx.bus.services.session_factory) as uow:
                ctx.uow = uow
                result = call()
                uow.commit()
            return result
        except DiagramFailed as failed:  # rolled back by the unit of work: record it apart
            instance_id = failed.record()
            raise StepFailed(instance_id, wf.describe_error(failed.failure),
                             wf.failed_element(failed.failure)) from failed.failure
        except SQLAlchemyError as err:
            raise translate(err) from err

    # --- after-commit work ------------------------------------------------------------------
    def drain(self, follow: FollowUps) -> None:
        """Deliver what committed work threw, up to `inline_routes` messages (what those start
        or advance may throw more): the rest is left to the sweep, so one request's work after
        its commit is bounded. A failure here is counted and left to the sweep as well."""
        routed = 0
        while (item := follow.pop()) is not None:
            _kind, message_id = item
            if routed >= self.services.config.inline_routes:
                self._leave_to_sweep([message_id, *follow.rest()])
                return
            routed += 1
            try:
                self.run(RouteMessage(message_id), follow)
            except ConcurrentUpdate:  # a lost race: the sweep routes it (not counted as a failure)
                log.info("after-commit routing of message %s lost a race; the sweep will retry", message_id)
            except Exception as err:  # one failure must not stop the rest
                log.exception("after-commit routing of message %s failed; the sweep will retry", message_id)
                self.run_inline(lambda ctx, m=message_id, e=err: message_failed(ctx, m, e), FollowUps())

    def _leave_to_sweep(self, message_ids: list[str]) -> None:
        self.run_inline(lambda ctx: ctx.uow.repo.release_messages(message_ids), FollowUps())
