"""Deploying diagrams and forms, and what a deployed version says about starting a case: the
one rule set every door goes through (API, modeller, CLI, the initial model)."""
from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from forms import account_fields

from .checking import set_problems
from .commands import Deploy, DeployForm
from .deployment import deploy, missing_forms, parse_all
from .errors import ConcurrentUpdate, DeploymentRejected, NotFound, Problem
from .form_store import FormVersion, form_problems
from .queries import filled_form
from .uow import FollowUps

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


def deploy_diagrams(engine: "Engine", cmd: Deploy, follow: FollowUps):
    try:
        return _deploy_diagrams(engine, cmd, follow)
    finally:  # after the commit: a page asking meanwhile cannot keep the old menu
        engine.start_menu.clear()


def deploy_form(engine: "Engine", cmd: DeployForm, follow: FollowUps) -> tuple[FormVersion, bool]:
    try:
        return _deploy_form(engine, cmd, follow)
    finally:
        engine.start_menu.clear()


def _deploy_diagrams(engine: "Engine", cmd: Deploy, follow: FollowUps):
    """Every door (API, modeller, CLI, the initial model) deploys through here, so every
    door accepts and refuses the same diagrams with the same reasons."""
    parsed = parse_all(cmd.files, engine.config.max_bpmn_bytes)
    if not cmd.only_new:
        latest = engine.queries.latest_definitions()
        if problems := set_problems(parsed, latest, engine.config.max_bpmn_bytes,
                                    engine.config.model_requirements):
            raise DeploymentRejected(problems)
    for attempt in range(engine.config.delivery_retries):
        try:  # two nodes deploying at once: one wins each version number, the other retries
            with engine.uow() as uow:
                results, to_cache = deploy(uow.repo, engine.processes, engine.forms, parsed, dict(cmd.forms),
                                           engine.now(), source=cmd.source, deployed_by=cmd.deployed_by,
                                           only_new=cmd.only_new)
                uow.commit()
            break
        except ConcurrentUpdate:
            if attempt == engine.config.delivery_retries - 1:
                raise
    for row, parsed_file in to_cache:
        engine.processes.put(row, parsed_file)
    return results


def _deploy_form(engine: "Engine", cmd: DeployForm, follow: FollowUps) -> tuple[FormVersion, bool]:
    if problems := form_problems(cmd.key, cmd.schema):
        raise DeploymentRejected(problems)
    with engine.uow() as uow:
        version, created = engine.forms.write(uow.session, cmd.key, cmd.schema, engine.now(), cmd.source,
                                            cmd.deployed_by)
        uow.commit()
    [deployed] = [v for v in engine.forms.versions(cmd.key) if v.version == version]
    return deployed, created
