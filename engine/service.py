"""The engine: `Engine.execute(command)` runs one command through the command bus (one unit
of work), then the cross-instance work it caused (message routing), each piece a command of
its own. The table of handlers is here; the chain around them is engine/bus.py."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from . import (
    accounts,
    demo,
    deploying,
    incidents,
    lifecycle,
    messaging,
    stalls,
    starting,
    tasks,
    timers,
)
from .bus import CommandBus, CommandContext, Handler, Services
from .clock import Clock, utc_naive
from .commands import (
    AdvanceDemoClock,
    ClaimTask,
    CompleteTask,
    CorrelateMessage,
    DeliverMessage,
    Deploy,
    DeployForm,
    DetectStalls,
    EndSessions,
    FireTimer,
    MigrateInstance,
    MigrateVersion,
    RecordAccess,
    ReleaseTask,
    ResetInstance,
    ResumeInstance,
    RetryIncident,
    RetryInstance,
    RouteMessage,
    StartInstance,
    SuspendInstance,
    Sweep,
    TerminateInstance,
)
from .config import EngineConfig
from .db import make_session_factory, make_sql_engine
from .deployment import ProcessCache
from .errors import Problem
from .form_store import FormStore
from .models import AccessLog
from .queries import Queries
from .script_pool import ScriptLimits
from .uow import UnitOfWork
from .workflow_cache import WorkflowCache

log = logging.getLogger("kedja.engine")
# The advisory-lock key of stall detection (PostgreSQL): one node at a time.
STALL_DETECTION_JOB = 0x6B65646A61  # "kedja"


def _races(config: EngineConfig) -> int:
    return config.delivery_retries


# Every command and its handler. Transactional handlers run in one unit of work the bus opens
# and commits; the others (routing, the sweep, a batch migration, moving the demo clock) are
# made of several commands, each run through the bus again.
HANDLERS: dict[type, Handler] = {
    Deploy: Handler(deploying.deploy_diagrams, retries=_races),
    DeployForm: Handler(deploying.deploy_form),
    StartInstance: Handler(starting.start),
    ClaimTask: Handler(tasks.claim),
    ReleaseTask: Handler(tasks.release),
    CompleteTask: Handler(tasks.complete),
    CorrelateMessage: Handler(messaging.correlate, transactional=False),
    RouteMessage: Handler(messaging.route, transactional=False),
    DeliverMessage: Handler(messaging.deliver, retries=_races, backoff=True),
    FireTimer: Handler(timers.fire),
    Sweep: Handler(timers.sweep, transactional=False),
    SuspendInstance: Handler(lifecycle.suspend),
    ResumeInstance: Handler(lifecycle.resume),
    TerminateInstance: Handler(lifecycle.terminate),
    RetryInstance: Handler(lifecycle.retry),
    ResetInstance: Handler(lifecycle.reset),
    MigrateInstance: Handler(lifecycle.migrate),
    MigrateVersion: Handler(lifecycle.migrate_version, transactional=False),
    RetryIncident: Handler(incidents.retry),
    AdvanceDemoClock: Handler(demo.advance, transactional=False),
    RecordAccess: Handler(lambda ctx, cmd: _record_access(ctx, cmd)),
    EndSessions: Handler(lambda ctx, cmd: accounts.end_sessions(ctx.uow, cmd.username)),
    DetectStalls: Handler(lambda ctx, cmd: _detect_stalls(ctx, cmd)),
}


def _detect_stalls(ctx: CommandContext, cmd: DetectStalls) -> int:
    if not ctx.uow.repo.take_turn(STALL_DETECTION_JOB):
        return 0  # another node is detecting now; its findings replace these anyway
    findings = stalls.detect(ctx.uow.session, ctx.now(), stalls.Thresholds(ctx.config.stall_thresholds))
    stalls.record(ctx.uow.session, findings, ctx.now())
    return len(findings)


def _record_access(ctx: CommandContext, cmd: RecordAccess) -> None:
    ctx.uow.repo.add(AccessLog(at=utc_naive(ctx.now()), username=cmd.username, organisation=cmd.organisation,
                               instance_id=cmd.instance_id, what=cmd.what))


class Engine:
    """The engine's front: it builds the caches and the command bus, and answers questions that
    are not commands (queries, what a deploy would refuse, the start menu)."""

    def __init__(self, config: EngineConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        self.sql_engine = make_sql_engine(config.database_url, config.database_schema)
        self.session_factory = make_session_factory(self.sql_engine)
        if config.demo:  # the real time plus how far an administrator moved it (engine/demo.py)
            self.clock = demo.demo_clock(self, self.clock, config.demo_clock_refresh_seconds)
        self.processes = ProcessCache()
        self.workflows = WorkflowCache(config.workflow_cache_size)
        self.forms = FormStore(self.session_factory, config.forms_dir)
        self.start_menu = deploying.StartMenuCache()
        self.queries = Queries(self.session_factory, self.processes, self.forms, self.workflows)
        # What every step of this engine runs with (set around each command, never module-wide).
        self.model_settings = config.model_settings()
        script_limits = ScriptLimits(config.script_cpu_seconds, config.script_memory_mb * 1024 * 1024,
                                     config.script_timeout_seconds, config.script_workers)
        self.bus = CommandBus(Services(
            config=config, clock=self.clock, session_factory=self.session_factory, processes=self.processes,
            workflows=self.workflows, forms=self.forms, start_menu=self.start_menu, queries=self.queries,
            model_settings=self.model_settings, script_limits=script_limits), HANDLERS)

    def execute(self, command) -> Any:
        """Run one command through the bus (engine/bus.py) and deliver what it threw."""
        return self.bus.execute(command)

    def uow(self) -> UnitOfWork:
        """A unit of work for tools and tests that read or write rows directly."""
        return UnitOfWork(self.session_factory)

    def now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def step_settings(self) -> Iterator[None]:
        """The city's zone, the model's settings and the script limits that this engine's steps
        (and the expressions and scripts they run) use."""
        with self.bus.settings():
            yield

    # --- what deployed versions say (engine/deploying.py) ---------------------------------
    def deploy_problems(self, files: tuple[tuple[str, bytes | str], ...],
                        forms: tuple[tuple[str, dict], ...] = ()) -> list[Problem]:
        """What Deploy would refuse in these files, without deploying (the modeller's check)."""
        return deploying.deploy_problems(self, files, forms)

    def start_form(self, process_key: str) -> dict | None:
        return deploying.start_form(self, process_key)

    def startable(self, roles) -> list[tuple[str, str]]:
        return deploying.startable(self, roles)

    def startable_by(self, process_key: str) -> tuple[str, ...]:
        return deploying.startable_by(self, process_key)

    def dispose(self) -> None:
        if self.bus.router is not None:  # what was handed over is routed before the pool closes
            self.bus.router.close()
        self.sql_engine.dispose()


def build_engine(config: EngineConfig | None = None, clock: Clock | None = None) -> Engine:
    return Engine(config or EngineConfig.from_env(), clock)
