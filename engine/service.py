"""The engine: `Engine.execute(command)` runs one command in one unit of work, then the
cross-instance work it caused (message routing), each piece in a unit of work of its own."""
from __future__ import annotations

import json
import logging
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from . import (
    accounts,
    demo,
    deploying,
    incidents,
    lifecycle,
    messaging,
    script_pool,
    stalls,
    starting,
    stepping,
    tasks,
    timers,
)
from .clock import Clock, utc_naive
from .commands import (
    AdvanceDemoClock,
    ClaimTask,
    CompleteTask,
    CorrelateMessage,
    Deploy,
    DeployForm,
    DetectStalls,
    EndSessions,
    MigrateInstance,
    MigrateVersion,
    RecordAccess,
    ReleaseTask,
    ResetInstance,
    ResumeInstance,
    RetryIncident,
    RetryInstance,
    StartInstance,
    SuspendInstance,
    Sweep,
    TerminateInstance,
)
from .config import EngineConfig
from .db import make_session_factory, make_sql_engine
from .deployment import ProcessCache
from .errors import (
    ConcurrentUpdate,
    EngineError,
    Problem,
    StepFailed,
)
from .form_store import FormStore
from .models import AccessLog, Instance, Message
from .projection import project
from .queries import Queries
from .script_pool import ScriptLimits
from .spiff import workflow as wf
from .spiff.history import prune_history
from .statuses import InstanceStatus, MessageStatus
from .tasks import CompletedTask
from .uow import SKIP, FollowUps, UnitOfWork, diagram_outcome
from .workflow_cache import WorkflowCache

log = logging.getLogger("kedja.engine")
# History is cut when a tree holds PRUNE_AT times the kept levels in tasks, and has grown by
# PRUNE_GROWTH tasks since its last cut (what a cut keeps, the chain of earlier elements and the
# carriers, can stay above the first bound): rarely, so the cut's own walk over the tree costs
# little per step, and often enough that the tree stays small.
PRUNE_AT = 2
PRUNE_GROWTH = 10
# The advisory-lock key of stall detection (PostgreSQL): one node at a time.
STALL_DETECTION_JOB = 0x6B65646A61  # "kedja"


class Engine:
    def __init__(self, config: EngineConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or Clock()
        # What every step of this engine runs with (set around each command, never module-wide).
        self.model_settings = config.model_settings()
        self.script_limits = ScriptLimits(config.script_cpu_seconds, config.script_memory_mb * 1024 * 1024,
                                          config.script_timeout_seconds, config.script_workers)
        self.sql_engine = make_sql_engine(config.database_url, config.database_schema)
        self.session_factory = make_session_factory(self.sql_engine)
        if config.demo:  # the real time plus how far an administrator moved it (engine/demo.py)
            self.clock = demo.demo_clock(self, self.clock, config.demo_clock_refresh_seconds)
        self.processes = ProcessCache()
        self.workflows = WorkflowCache(config.workflow_cache_size)
        self.forms = FormStore(self.session_factory, config.forms_dir)
        self.start_menu = deploying.StartMenuCache()
        self.queries = Queries(self.session_factory, self.processes, self.forms)
        self._handlers: dict[type, Callable] = {
            Deploy: lambda cmd, follow: deploying.deploy_diagrams(self, cmd, follow),
            DeployForm: lambda cmd, follow: deploying.deploy_form(self, cmd, follow),
            StartInstance: lambda cmd, follow: starting.start(self, cmd, follow),
            ClaimTask: lambda cmd, follow: tasks.claim(self, cmd, follow),
            ReleaseTask: lambda cmd, follow: tasks.release(self, cmd, follow),
            CompleteTask: lambda cmd, follow: tasks.complete(self, cmd, follow),
            CorrelateMessage: lambda cmd, follow: messaging.correlate(self, cmd, follow),
            Sweep: lambda cmd, follow: timers.sweep(self, cmd.limit),
            SuspendInstance: lambda cmd, follow: lifecycle.suspend(self, cmd, follow),
            ResumeInstance: lambda cmd, follow: lifecycle.resume(self, cmd, follow),
            TerminateInstance: lambda cmd, follow: lifecycle.terminate(self, cmd, follow),
            RetryInstance: lambda cmd, follow: lifecycle.retry(self, cmd, follow),
            RecordAccess: self._record_access,
            EndSessions: self._end_sessions,
            DetectStalls: self._detect_stalls,
            ResetInstance: lambda cmd, follow: lifecycle.reset(self, cmd, follow),
            MigrateInstance: lambda cmd, follow: lifecycle.migrate(self, cmd, follow),
            RetryIncident: lambda cmd, follow: incidents.retry(self, cmd, follow),
            MigrateVersion: lambda cmd, follow: lifecycle.migrate_version(self, cmd, follow),
            AdvanceDemoClock: lambda cmd, follow: demo.advance(self, cmd, follow),
        }

    # --- plumbing ----------------------------------------------------------------------
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def now(self) -> datetime:
        return self.clock.now()

    def execute(self, command) -> Any:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise EngineError(f"unknown command {type(command).__name__}")
        follow = FollowUps()
        with self.step_settings():
            result = handler(command, follow)
            self.drain(follow)
        return result

    @contextmanager
    def step_settings(self) -> Iterator[None]:
        """The city's zone, the model's settings and the script limits that this engine's steps
        (and the expressions and scripts they run) use."""
        with stepping.step_context(None, self.config.timezone, self.model_settings), \
                script_pool.script_limits(self.script_limits):
            yield

    def drain(self, follow: FollowUps) -> None:
        """Deliver what committed work threw, up to `inline_routes` messages (what those start
        or advance may throw more): the rest is left to the sweep, so one request's work after
        its commit is bounded. A failure here is counted and left to the sweep as well."""
        routed = 0
        while (item := follow.pop()) is not None:
            _kind, message_id = item
            if routed >= self.config.inline_routes:
                self._leave_to_sweep([message_id, *follow.rest()])
                return
            routed += 1
            try:
                messaging.route(self, message_id, follow)
            except ConcurrentUpdate:  # a lost race: the sweep routes it (not counted as a failure)
                log.info("after-commit routing of message %s lost a race; the sweep will retry", message_id)
            except Exception as err:  # one failure must not stop the rest
                log.exception("after-commit routing of message %s failed; the sweep will retry", message_id)
                incidents.message_failed(self, message_id, err)

    def _leave_to_sweep(self, message_ids: list[str]) -> None:
        with self.uow() as uow:
            uow.repo.release_messages(message_ids)
            uow.commit()

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
        self.sql_engine.dispose()

    # --- one step of one instance --------------------------------------------------------
    def step(self, locate: str | Callable[[UnitOfWork], str], operate: Callable, follow: FollowUps, *,
             completed_by: str | None = None, rewait: bool = False, final_status: str | None = None) -> Any:
        """Load the instance, let `operate(uow, instance, workflow)` move it, project, save, commit.

        `locate` is the instance id, or a function that finds it (and may refuse) in the same
        transaction. `operate` raises an EngineError to refuse (nothing is written) or returns
        SKIP. Any other exception is a failed step: it rolls back and the instance is put in
        `error` in a transaction of its own. `rewait` looks for buffered messages for every
        catch that waits (not only new ones: after a hold); `final_status` overrides the status
        the projection derives (terminate)."""
        with self.uow() as uow:
            instance_id = locate(uow) if callable(locate) else locate
            instance = uow.repo.instance(instance_id)
            process = self.processes.get(instance.definition_id, uow.repo)
            read_version = instance.version
            workflow = self.workflows.take(instance_id, read_version, instance.definition_id)
            if workflow is None:
                workflow = wf.deserialize(instance.state, process)
            now = self.now()

            def work():
                outcome = operate(uow, instance, workflow)
                if outcome is SKIP:
                    return SKIP
                completed_task = outcome if isinstance(outcome, CompletedTask) else None
                current = process
                if instance.definition_id != current.definition_id:  # migrated to another version
                    current = self.processes.get(instance.definition_id, uow.repo)
                projected = project(uow.repo, instance, workflow, current, now,
                                    completed_task.task_id if completed_task else None, completed_by,
                                    revisit=rewait)
                if final_status:
                    instance.status = final_status
                self._write_outbox(uow, instance, workflow, now, follow)  # takes the events first:
                self._cut_history(workflow)
                instance.state = wf.serialize(workflow)  # the serialized state must not hold them
                self._take_buffered(uow, projected, now, follow)
                return outcome

            outcome, failure = diagram_outcome(work)
            if failure is None:
                if outcome is SKIP:
                    return SKIP
                uow.repo.flush()  # the row's new version, known before commit
                written = (instance.version, instance.definition_id)
                uow.commit()
                wf.rebuild_catch_index(workflow)
                self.workflows.put(instance_id, *written, workflow)
                return outcome
        self.record_error(instance_id, failure, read_version)
        raise StepFailed(instance_id, wf.describe_error(failure), wf.failed_element(failure))

    def _cut_history(self, workflow) -> None:
        levels = self.config.history_levels
        if not levels:
            return
        size = wf.task_count(workflow)
        # Kept on the live workflow object only: one loaded from the database is cut once more.
        if size > max(PRUNE_AT * levels, getattr(workflow, "kedja_size_after_cut", 0) + PRUNE_GROWTH):
            prune_history(workflow, levels)
            workflow.kedja_size_after_cut = wf.task_count(workflow)

    def record_error(self, instance_id: str, err: Exception, read_version: int) -> None:
        """Put the instance in `error`, unless it moved on since the failed step read it: then
        the failure may not hold for the new state, and the caller is told to retry."""
        log.warning("instance %s failed: %s", instance_id, err)
        with self.uow() as uow:
            instance = uow.repo.instance(instance_id)
            if instance.version != read_version:
                raise ConcurrentUpdate(f"instance {instance_id} changed while the failed step ran; retry")
            instance.status = InstanceStatus.ERROR
            instance.error_message = wf.describe_error(err)
            instance.error_element = wf.failed_element(err)
            uow.commit()

    def _write_outbox(self, uow: UnitOfWork, instance: Instance, workflow, now: datetime,
                      follow: FollowUps) -> None:
        """Messages no catch of this instance took become outbox rows of this transaction."""
        for thrown in wf.thrown_messages(workflow):
            message_id = str(uuid.uuid4())
            uow.repo.add(Message(
                id=message_id, name=thrown.name, correlation_key=wf.correlation_key(thrown.correlation),
                payload=json.dumps(thrown.payload, default=str, ensure_ascii=False), status=MessageStatus.PENDING,
                source_instance_id=instance.id, created_at=utc_naive(now), attempts=0,
                # Leased to this node from the start: it routes the row right after commit, and
                # another node's sweep takes it only if this node dies before doing so.
                lease_owner=self.config.node_name,
                lease_until=utc_naive(now + timedelta(seconds=self.config.lease_seconds)),
                expires_at=utc_naive(now + timedelta(seconds=self.config.default_message_ttl_seconds)),
            ))
            uow.after_commit(lambda m=message_id: follow.route(m))

    @staticmethod
    def _take_buffered(uow: UnitOfWork, projected, now: datetime, follow: FollowUps) -> None:
        """Catches that began waiting get what was buffered for them, routed after commit.
        A message buffered by another transaction at this very moment is found by the sweep."""
        for name, key in projected.new_message_waits:
            for message_id in uow.repo.buffered_matching(name, key, utc_naive(now)):
                uow.after_commit(lambda m=message_id: follow.route(m))

    def create_instance(self, uow: UnitOfWork, process: wf.CompiledProcess, workflow, business_key: str | None,
                        now: datetime, follow: FollowUps) -> Instance:
        instance = Instance(id=str(uuid.uuid4()), definition_id=process.definition_id, process_key=process.key,
                            business_key=business_key, status=InstanceStatus.RUNNING, state=b"",
                            created_at=utc_naive(now), last_progress_at=utc_naive(now))
        uow.repo.add(instance)
        projected = project(uow.repo, instance, workflow, process, now, new=True)
        self._write_outbox(uow, instance, workflow, now, follow)
        instance.state = wf.serialize(workflow)
        self._take_buffered(uow, projected, now, follow)
        return instance

    def record_failed_start(self, process: wf.CompiledProcess, data: dict, business_key: str | None,
                            err: Exception, after: Callable[[UnitOfWork, Instance], None] | None = None) -> str:
        """A start whose first steps failed leaves an instance in `error` at its very start."""
        now = self.now()
        with self.uow() as uow:
            instance = Instance(id=str(uuid.uuid4()), definition_id=process.definition_id,
                                process_key=process.key, business_key=business_key, status=InstanceStatus.ERROR,
                                state=wf.serialize(wf.new_workflow(process, data)),
                                error_message=wf.describe_error(err), error_element=wf.failed_element(err),
                                created_at=utc_naive(now), last_progress_at=utc_naive(now))
            uow.repo.add(instance)
            uow.repo.flush()
            if after:
                after(uow, instance)
            uow.commit()
        return instance.id

    # --- handlers ------------------------------------------------------------------------
    def _detect_stalls(self, cmd: DetectStalls, follow: FollowUps) -> int:
        with self.uow() as uow:
            if not uow.repo.take_turn(STALL_DETECTION_JOB):
                return 0  # another node is detecting now; its findings replace these anyway
            findings = stalls.detect(uow.session, self.now(), stalls.Thresholds(self.config.stall_thresholds))
            stalls.record(uow.session, findings, self.now())
            uow.commit()
        return len(findings)

    def _end_sessions(self, cmd: EndSessions, follow: FollowUps) -> None:
        with self.uow() as uow:
            accounts.end_sessions(uow, cmd.username)
            uow.commit()

    def _record_access(self, cmd: RecordAccess, follow: FollowUps) -> None:
        with self.uow() as uow:
            uow.repo.add(AccessLog(at=utc_naive(self.now()), username=cmd.username, organisation=cmd.organisation,
                                   instance_id=cmd.instance_id, what=cmd.what))
            uow.commit()

def build_engine(config: EngineConfig | None = None, clock: Clock | None = None) -> Engine:
    return Engine(config or EngineConfig.from_env(), clock)
