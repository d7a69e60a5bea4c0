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
`inline_routes` messages and `inline_route_ms`; the rest goes to the node's routing threads
(BackgroundRouter), so an answer does not wait for the cascade its messages cause.

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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
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
        threads = services.config.routing_threads
        self.router: BackgroundRouter | None = BackgroundRouter(self, threads) if threads > 0 else None

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
        """Deliver what committed work threw (and what the steps it causes throw), up to
        `inline_routes` messages and `inline_route_ms`: the rest is handed to this node's
        routing threads (or, without them, to the sweep), so a request's answer never waits for
        a long cascade. A failure here is counted and left to the sweep."""
        config = self.services.config
        deadline = time.monotonic() + config.inline_route_ms / 1000 if config.inline_route_ms else None
        routed = 0
        while (queued := follow.pop()) is not None:
            message_id, thrown = queued
            if routed >= config.inline_routes or (deadline is not None and time.monotonic() > deadline):
                self.hand_over([message_id, *follow.rest()])
                return
            routed += 1
            self.route_now(message_id, follow, thrown)

    def route_now(self, message_id: str, follow: FollowUps, thrown=None) -> None:
        try:
            self.run(RouteMessage(message_id, thrown), follow)
        except ConcurrentUpdate:  # a lost race: the sweep routes it (not counted as a failure)
            log.info("after-commit routing of message %s lost a race; the sweep will retry", message_id)
        except Exception as err:  # one failure must not stop the rest
            log.exception("after-commit routing of message %s failed; the sweep will retry", message_id)
            self.run_inline(lambda ctx, m=message_id, e=err: message_failed(ctx, m, e), FollowUps())

    def hand_over(self, message_ids: list[str]) -> None:
        if self.router is not None and self.router.take(message_ids):
            return
        self.run_inline(lambda ctx: ctx.uow.repo.release_messages(message_ids), FollowUps())


class BackgroundRouter:
    """This node's routing threads. What a request hands over is routed here at once, still
    under this node's lease on the outbox rows; if the node dies first, any node's sweep takes
    the rows when the lease runs out. Past `MAX_QUEUED` waiting messages the rows are released
    to the sweep instead, so a burst cannot pile up unbounded work in one process."""

    MAX_QUEUED = 2000

    def __init__(self, bus: CommandBus, threads: int) -> None:
        self._bus = bus
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._queued = 0
        self._lock = threading.Lock()

    def take(self, message_ids: list[str]) -> bool:
        with self._lock:
            if self._queued + len(message_ids) > self.MAX_QUEUED:
                return False
            if self._pool is None:  # threads only once something is handed over
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="kedja-route")
            self._queued += len(message_ids)
            for message_id in message_ids:
                self._pool.submit(self._route, message_id)
        return True

    def _route(self, message_id: str) -> None:
        try:
            follow = FollowUps()
            with self._bus.settings():
                self._bus.route_now(message_id, follow)
                self._bus.drain(follow)
        except Exception:  # the row stays leased; the sweep takes it when the lease runs out
            log.exception("background routing of message %s failed", message_id)
        finally:
            with self._lock:
                self._queued -= 1

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
