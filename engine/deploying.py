"""Deploying diagrams and forms, and what a deployed version says about starting a case: the
one rule set every door goes through (API, modeller, CLI, the initial model)."""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from forms import account_fields

from .bus import CommandContext
from .checking import set_problems
from .commands import Deploy, DeployForm
from .deployment import deploy, missing_forms, parse_all
from .errors import DeploymentRejected, NotFound, Problem
from .form_store import FormVersion, form_problems
from .models import FormDefinition
from .queries import filled_form

if TYPE_CHECKING:  # only for annotations: the service imports this module
    from .service import Engine


def deploy_problems(engine: "Engine", files: tuple[tuple[str, bytes | str], ...],
                    forms: tuple[tuple[str, dict], ...] = ()) -> list[Problem]:
    """What Deploy would refuse in these files, without deploying (the modeller's check)."""
    try:
        parsed = parse_all(files, engine.config.max_bpmn_bytes)
    except DeploymentRejected as rejected:
        return rejected.problems
    problems = set_problems(parsed, engine.queries.latest_definitions(), engine.config.max_bpmn_bytes,
                            engine.config.model_requirements)
    bundle = dict(forms)
    for key, schema in forms:
        problems.extend(form_problems(key, schema))
    with engine.session_factory() as session:
        for filename, parsed_file in parsed.items():
            for model in parsed_file.models.values():
                problems.extend(missing_forms(session, engine.forms, model, filename, bundle))
    return problems


def start_form(engine: "Engine", process_key: str) -> dict | None:
    """The start form of the latest version, choices filled in; None without one."""
    with engine.uow() as uow:
        row = uow.repo.latest_definition(process_key)
        if row is None:
            raise NotFound(f"no deployed process '{process_key}'")
        process = engine.processes.get(row.id, uow.repo)
        key = process.model.start_form
        if not key:
            return None
        version = process.form_versions.get(key)
        schema = filled_form(uow.session, engine.forms, key, version)
        return {"process": process_key, "form_key": key, "version": version, "schema": schema,
                "account_fields": account_fields(schema)}


class StartMenuCache:
    """What `startable` answers, per set of roles, for a few seconds: every page shows it (the
    menu's "Ny upphandling", "Lämna anbud"), and it changes only when something is deployed.
    A deploy in this process clears it; one on another node shows within `seconds`."""

    def __init__(self, seconds: float = 5.0) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: dict[frozenset, tuple[float, list]] = {}

    def get(self, roles, compute) -> list[tuple[str, str]]:
        key, now = frozenset(roles), time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.seconds:
            return list(entry[1])
        found = compute()
        with self._lock:
            self._entries[key] = (now, found)
        return list(found)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def startable(engine: "Engine", roles) -> list[tuple[str, str]]:
    """(process key, start form title) of the processes with a start form that an account
    with `roles` may start (administrators: all of them)."""
    return engine.start_menu.get(roles, lambda: _startable(engine, roles))


def _startable(engine: "Engine", roles) -> list[tuple[str, str]]:
    found = []
    with engine.uow() as uow:
        for row in engine.queries.latest_definitions():
            model = engine.processes.get(row.id, uow.repo).model
            if model.start_form and ("admin" in roles or set(roles) & set(model.startable_by)):
                schema = engine.forms.schema(model.start_form, json.loads(row.form_versions or "{}").get(
                    model.start_form)) or {}
                found.append((row.key, schema.get("title") or row.name or row.key))
    return found


def startable_by(engine: "Engine", process_key: str) -> tuple[str, ...]:
    """The account roles the latest version of a process may be started by
    (`kedja:startableBy`); empty for a process only administrators (or messages) start."""
    with engine.uow() as uow:
        row = uow.repo.latest_definition(process_key)
        if row is None:
            return ()
        return engine.processes.get(row.id, uow.repo).model.startable_by


def deploy_diagrams(ctx: CommandContext, cmd: Deploy):
    """The Deploy command. Every door (API, modeller, CLI, the initial model) deploys through
    here, so every door accepts and refuses the same diagrams with the same reasons. Two nodes
    deploying at once: one wins each version number, the other's command is retried by the bus."""
    parsed = parse_all(cmd.files, ctx.config.max_bpmn_bytes)
    if not cmd.only_new:
        latest = ctx.queries.latest_definitions()
        if problems := set_problems(parsed, latest, ctx.config.max_bpmn_bytes, ctx.config.model_requirements):
            raise DeploymentRejected(problems)
    results, to_cache = deploy(ctx.uow.repo, ctx.processes, ctx.forms, parsed, dict(cmd.forms),
                               ctx.now(), source=cmd.source, deployed_by=cmd.deployed_by, only_new=cmd.only_new)

    def after():  # the new versions, once durable; and a page asking meanwhile cannot keep the old menu
        for row, parsed_file in to_cache:
            ctx.processes.put(row, parsed_file)
        ctx.start_menu.clear()

    ctx.uow.after_commit(after)
    return results


def deploy_form(ctx: CommandContext, cmd: DeployForm) -> tuple[FormVersion, bool]:
    if problems := form_problems(cmd.key, cmd.schema):
        raise DeploymentRejected(problems)
    session = ctx.uow.session
    version, created = ctx.forms.write(session, cmd.key, cmd.schema, ctx.now(), cmd.source, cmd.deployed_by)
    session.flush()
    row = session.scalars(select(FormDefinition).where(FormDefinition.key == cmd.key,
                                                       FormDefinition.version == version)).one()
    ctx.uow.after_commit(ctx.start_menu.clear)
    return FormVersion(row.key, row.version, row.title, row.deployed_at, row.source, row.deployed_by), created
