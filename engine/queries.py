"""Read side: lists and views straight from the projection tables (no workflow is loaded)."""
from __future__ import annotations

import copy
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forms import option_providers, with_options

from . import stepping
from .form_options import data_providers, form_options
from .form_store import FormStore
from .inbox import INBOX_SORTS, inbox_page  # noqa: F401 (INBOX_SORTS: part of the surface)
from .models import (
    AuditEntry,
    Delivery,
    Instance,
    InstanceFacts,
    Message,
    ProcessDefinition,
    StallFinding,
    TaskRow,
    Wait,
)
from .page import Page
from .repository import Repository, fetch
from .spiff.workflow import current_data, deserialize, element_progress, task_data
from .statuses import FINISHED, TaskState, WaitKind
from .workflow_cache import MISS, WorkflowCache


def _page(session: Session, query, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return Page(items, total, page, per_page)


def filled_form(session: Session, store: FormStore, form_key: str | None,
                version: int | None = None, data: dict | None = None) -> dict | None:
    """The task's form schema (the version it opened with) with its engine-provided choices
    filled in (None: no schema); `data`, the task's data, for choices of its own (its bids)."""
    schema = store.schema(form_key, version)
    if schema is None:
        return None
    providers = option_providers(schema)
    return with_options(schema, form_options(session, providers, data)) if providers else schema


class Queries:
    def __init__(self, session_factory: sessionmaker[Session], processes=None,
                 forms: FormStore | None = None, workflows: WorkflowCache | None = None) -> None:
        self._session_factory = session_factory
        self._processes = processes
        self._forms = forms or FormStore(session_factory)
        # A task's or an instance's data is read from the live workflow a step left in this
        # node's cache when it is still at the row's version, instead of rebuilding the workflow
        # from its stored state (opening a task page did that on every view).
        self._workflows = workflows

    def task_form(self, task_id: str, settings: dict | None = None) -> dict | None:
        """The form schema of a task, choices filled in as of now; `settings`, the engine's model
        settings (Engine.model_settings: the distribution key orders the vacancies), when the
        query runs outside a command."""
        with self._session_factory() as session, stepping.step_context(None, None, settings):
            row = fetch(session, TaskRow, task_id, "task")
            schema = self._forms.schema(row.form_key, row.form_version)
            # choices that depend on the task's own data (its bids, its procurement) need that data
            data = self.task_data(task_id) if schema and option_providers(schema) & data_providers() else None
            return filled_form(session, self._forms, row.form_key, row.form_version, data)

    def inbox(self, organisation: str | None, username: str | None = None, **options) -> Page:
        """Tasks of one organisation (or, with scope='mine', the user's): engine/inbox.py."""
        return inbox_page(self._session_factory, organisation, username, **options)

    def task_context(self, tasks) -> dict[str, dict]:
        """For a page of tasks: each one's case (business key) and phase (kedja:phase in its diagram)."""
        found: dict[str, dict] = {}
        with self._session_factory() as session:
            cases = {row.id: row for row in session.execute(select(
                Instance.id, Instance.business_key, Instance.definition_id).where(
                Instance.id.in_({task.instance_id for task in tasks})))}
            repo = Repository(session)
            for task in tasks:
                case = cases.get(task.instance_id)
                info = None
                if case is not None:
                    info = self._processes.get(case.definition_id, repo).model.user_tasks.get(task.element_id)
                found[task.id] = {"business_key": case.business_key if case else None,
                                  "phase": info.phase if info else None}
        return found

    def brief(self, instance_ids) -> dict[str, dict]:
        """Process, business key and status of several instances (for links)."""
        with self._session_factory() as session:
            return {row.id: {"id": row.id, "process": row.process_key, "business_key": row.business_key,
                             "status": row.status}
                    for row in session.execute(select(Instance.id, Instance.process_key, Instance.business_key,
                                                      Instance.status).where(Instance.id.in_(set(instance_ids))))}

    def running_by_version(self) -> dict[int, int]:
        """How many unfinished instances each process version has."""
        with self._session_factory() as session:
            return dict(session.execute(select(Instance.definition_id, func.count()).where(
                Instance.status.not_in(FINISHED)).group_by(Instance.definition_id)).all())

    def facts(self, instance_id: str) -> dict:
        with self._session_factory() as session:
            row = session.get(InstanceFacts, instance_id)
            return json.loads(row.facts) if row else {}

    def element_progress(self, instance_id: str) -> tuple[set[str], set[str]]:
        """Elements passed and elements active now (from the workflow: a single-case read)."""
        with self._session_factory() as session:
            return self._read_workflow(session, instance_id, element_progress)

    def definition(self, definition_id: int) -> ProcessDefinition:
        with self._session_factory() as session:
            return fetch(session, ProcessDefinition, definition_id, "process version")

    def waits_of(self, instance_ids) -> dict[str, list[dict]]:
        """What each instance waits for (one query for a page of instances)."""
        found: dict[str, list[dict]] = {}
        with self._session_factory() as session:
            for wait in session.scalars(select(Wait).where(Wait.instance_id.in_(set(instance_ids)))
                                        .order_by(Wait.id)):
                found.setdefault(wait.instance_id, []).append(_wait_view(wait))
        return found

    def open_tasks_of(self, instance_ids) -> dict[str, list[TaskRow]]:
        found: dict[str, list[TaskRow]] = {}
        with self._session_factory() as session:
            for task in session.scalars(select(TaskRow).where(
                    TaskRow.instance_id.in_(set(instance_ids)), TaskRow.state == TaskState.OPEN)
                    .order_by(TaskRow.created_at)):
                found.setdefault(task.instance_id, []).append(task)
        return found

    def status_counts(self) -> dict[str, int]:
        with self._session_factory() as session:
            return dict(session.execute(select(Instance.status, func.count()).group_by(Instance.status)).all())

    def audit_log(self, instance_id: str | None = None, page: int = 1, per_page: int = 50) -> Page:
        """Administrators' actions, newest first."""
        query = select(AuditEntry)
        if instance_id:
            query = query.where(AuditEntry.instance_id == instance_id)
        with self._session_factory() as session:
            return _page(session, query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page, per_page)

    def task(self, task_id: str) -> TaskRow:
        with self._session_factory() as session:
            return fetch(session, TaskRow, task_id, "task")

    def instances(self, process: str | None = None, status: str | None = None, page: int = 1,
                  per_page: int = 50, organisation: str | None = None) -> Page:
        """Instances, oldest first; with `organisation`, only those it has (had) a task in."""
        query = select(Instance)
        if organisation is not None:
            query = query.where(Instance.id.in_(select(TaskRow.instance_id).where(
                TaskRow.organisation == organisation)))
        if process:
            query = query.where(Instance.process_key == process)
        if status:
            query = query.where(Instance.status == status)
        with self._session_factory() as session:
            return _page(session, query.order_by(Instance.created_at, Instance.id), page, per_page)

    def instance(self, instance_id: str) -> dict:
        """Status, open tasks, what it waits for, linked instances and task history."""
        with self._session_factory() as session:
            instance = fetch(session, Instance, instance_id, "instance")
            tasks = list(session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id)
                                         .order_by(TaskRow.created_at, TaskRow.id)))
            waits = list(session.scalars(select(Wait).where(Wait.instance_id == instance_id).order_by(Wait.id)))
            return {
                "instance": instance,
                "open_tasks": [t for t in tasks if t.state == TaskState.OPEN],
                "history": [t for t in tasks if t.state != TaskState.OPEN],
                "waiting_for": [_wait_view(w) for w in waits],
                "linked": self._linked(session, instance_id),
            }

    def _linked(self, session: Session, instance_id: str) -> list[dict]:
        """Instances this one sent messages to, and those that sent messages to it."""
        sent = session.execute(
            select(Delivery.instance_id, Message.name).join(Message, Message.id == Delivery.message_id)
            .where(Message.source_instance_id == instance_id)).all()
        received = session.execute(
            select(Message.source_instance_id, Message.name).join(Delivery, Delivery.message_id == Message.id)
            .where(Delivery.instance_id == instance_id, Message.source_instance_id.is_not(None))).all()
        links = {(other, "sent", name) for other, name in sent}
        links |= {(other, "received", name) for other, name in received}
        return [{"instance_id": other, "direction": direction, "message": name}
                for other, direction, name in sorted(links)]

    def stalled(self, reason: str | None = None, page: int = 1, per_page: int = 50) -> Page:
        """The recorded stall findings that still hold (the instance has not changed since),
        longest-standing first."""
        query = select(StallFinding).join(Instance, (Instance.id == StallFinding.instance_id)
                                          & (Instance.version == StallFinding.instance_version))
        if reason:
            query = query.where(StallFinding.reason == reason)
        with self._session_factory() as session:
            page_ = _page(session, query.order_by(StallFinding.since, StallFinding.instance_id), page, per_page)
            keys = dict(session.execute(select(Instance.id, Instance.business_key).where(
                Instance.id.in_([f.instance_id for f in page_.items]))).all())
            items = [{"instance_id": f.instance_id, "process": f.process_key, "business_key": keys.get(f.instance_id),
                      "reason": f.reason, "element_id": f.element_id or None, "since": f.since,
                      "detail": json.loads(f.detail), "found_at": f.found_at} for f in page_.items]
            return Page(items, page_.total, page_.page, page_.per_page)

    def organisations_in(self, instance_id: str) -> set[str]:
        """The organisations that have (had) a task in the instance: those working with the case."""
        with self._session_factory() as session:
            return set(session.scalars(select(TaskRow.organisation).distinct().where(
                TaskRow.instance_id == instance_id, TaskRow.organisation.is_not(None))))

    def facts_of(self, process_keys) -> list[tuple[str, str, dict]]:
        """(instance id, process key, kept facts) of every case of these processes (`kedja:facts`)."""
        with self._session_factory() as session:
            rows = session.scalars(select(InstanceFacts).where(InstanceFacts.process_key.in_(sorted(process_keys)))
                                   .order_by(InstanceFacts.process_key, InstanceFacts.facts))
            return [(row.instance_id, row.process_key, json.loads(row.facts)) for row in rows]

    def task_times(self, process_key: str, element_ids) -> list[tuple]:
        """(instance id, element id, created, completed) of the user tasks of these elements in the
        process's cases, open and done (the history the figures measure lead times on)."""
        columns = (TaskRow.instance_id, TaskRow.element_id, TaskRow.created_at, TaskRow.completed_at)
        with self._session_factory() as session:
            return [tuple(row) for row in session.execute(select(*columns).where(
                TaskRow.process_key == process_key, TaskRow.element_id.in_(sorted(element_ids))))]

    def summaries(self, instance_ids) -> list[dict]:
        """Each instance with where it is now: its open tasks' names, or what it waits for."""
        with self._session_factory() as session:
            return [self._member(session, instance_id) for instance_id in instance_ids]

    def _member(self, session: Session, instance_id: str) -> dict:
        instance = fetch(session, Instance, instance_id, "instance")
        open_tasks = list(session.scalars(select(TaskRow.name).where(
            TaskRow.instance_id == instance_id, TaskRow.state == TaskState.OPEN).order_by(TaskRow.created_at)))
        waits = list(session.scalars(select(Wait.element_id).where(Wait.instance_id == instance_id)))
        phase = ", ".join(filter(None, open_tasks)) or (f"väntar: {', '.join(sorted(set(waits)))}" if waits else None)
        return {"id": instance.id, "process": instance.process_key, "business_key": instance.business_key,
                "status": instance.status, "phase": phase}

    def messages(self, status: str | None = None, name: str | None = None, page: int = 1,
                 per_page: int = 50, newest_first: bool = False) -> Page:
        query = select(Message)
        if status:
            query = query.where(Message.status == status)
        if name:
            query = query.where(Message.name == name)
        with self._session_factory() as session:
            order = (Message.created_at.desc(), Message.id.desc()) if newest_first else (Message.created_at, Message.id)
            return _page(session, query.order_by(*order), page, per_page)

    def message(self, message_id: str) -> Message:
        with self._session_factory() as session:
            return fetch(session, Message, message_id, "message")

    def definitions(self) -> list[ProcessDefinition]:
        with self._session_factory() as session:
            return list(session.scalars(select(ProcessDefinition)
                                        .order_by(ProcessDefinition.key, ProcessDefinition.version)))

    def versions(self, key: str) -> list[dict]:
        """The deployed versions of one process, oldest first (without their diagrams)."""
        with self._session_factory() as session:
            columns = (ProcessDefinition.id, ProcessDefinition.version, ProcessDefinition.deployed_at)
            rows = session.execute(select(*columns).where(ProcessDefinition.key == key)
                                   .order_by(ProcessDefinition.version))
            return [{"definition_id": row.id, "version": row.version, "deployed_at": row.deployed_at} for row in rows]

    def process_keys(self) -> list[str]:
        """The deployed processes' keys (without reading any diagram)."""
        with self._session_factory() as session:
            return list(session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)))

    def process_names(self) -> dict[str, str]:
        """Each deployed process's name in its latest version (where the diagram gives one)."""
        latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version")).group_by(
            ProcessDefinition.key).subquery()
        same = (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version)
        with self._session_factory() as session:
            return {key: name for key, name in session.execute(
                select(ProcessDefinition.key, ProcessDefinition.name).join(latest, same)) if name}

    def latest_definitions(self) -> list[ProcessDefinition]:
        """The latest version of each deployed process."""
        latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version")).group_by(
            ProcessDefinition.key).subquery()
        same = (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version)
        with self._session_factory() as session:
            return list(session.scalars(select(ProcessDefinition).join(latest, same).order_by(ProcessDefinition.key)))

    def task_data(self, task_id: str) -> dict:
        """The data an open task sees (from its instance's workflow: a single-case read)."""
        with self._session_factory() as session:
            row = fetch(session, TaskRow, task_id, "task")
            return self._read_workflow(session, row.instance_id, lambda workflow: task_data(workflow, task_id))

    def instance_data(self, instance_id: str) -> dict:
        """The instance's current data (from its workflow: a single-case read)."""
        with self._session_factory() as session:
            return self._read_workflow(session, instance_id, current_data)

    def _read_workflow(self, session: Session, instance_id: str, read):
        """`read(workflow)` of the instance's workflow: the cached one when it is at the row's
        version (what it reads is copied whole, under the cache's lock), else one rebuilt from
        the stored state (the row's `state` is loaded only then)."""
        instance = fetch(session, Instance, instance_id, "instance")
        if self._workflows is not None:
            found = self._workflows.read(instance.id, instance.version, instance.definition_id,
                                         lambda workflow: copy.deepcopy(read(workflow)))
            if found is not MISS:
                return found
        return read(deserialize(instance.state, self._processes.get(instance.definition_id, Repository(session))))


def _wait_view(wait: Wait) -> dict:
    if wait.kind == WaitKind.MESSAGE:
        return {"kind": "message", "element_id": wait.element_id, "message": wait.message_name,
                "correlation": json.loads(wait.correlation_key or "{}"), "since": wait.since}
    return {"kind": "timer", "element_id": wait.element_id, "due_at": wait.due_at, "since": wait.since}
