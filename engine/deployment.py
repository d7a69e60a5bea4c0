"""Deployment: diagrams in, immutable numbered versions out; parsed specs cached per version."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

from .clock import utc_naive
from .definitions import ParsedFile, parse_file
from .errors import DeploymentRejected, Problem
from .form_store import FORM_KEY, FormStore, form_problems
from .models import MessageStartEvent, ProcessDefinition
from .repository import Repository
from .spiff.workflow import CompiledProcess


@dataclass(frozen=True)
class DeployedVersion:
    key: str
    version: int
    name: str | None
    definition_id: int
    created: bool  # False when identical XML was already the latest version


class ProcessCache:
    """Deployed versions never change, so each is parsed once per process and kept."""

    def __init__(self) -> None:
        self._compiled: dict[int, CompiledProcess] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int, repo: Repository) -> CompiledProcess:
        compiled = self._compiled.get(definition_id)
        if compiled is None:
            row = repo.definition(definition_id)
            # Already accepted at deploy time, so no size limit applies on reload.
            parsed = parse_file(row.bpmn_xml, max_bytes=1 << 62, filename=f"{row.key} v{row.version}")
            compiled = self.put(row, parsed)
        return compiled

    def put(self, row: ProcessDefinition, parsed: ParsedFile) -> CompiledProcess:
        compiled = CompiledProcess(row.id, row.key, row.version, parsed.specs.spec(row.key),
                                   parsed.specs.subprocess_specs(row.key), parsed.models[row.key],
                                   json.loads(row.form_versions or "{}"))
        with self._lock:
            return self._compiled.setdefault(row.id, compiled)


def _refuse_second_starter(repo: Repository, key: str, message: str, use, parsed_file: ParsedFile) -> None:
    """One message name starts at most one process, so that a message starts one instance."""
    for start in repo.message_starts(message):
        if start.process_key != key:
            raise DeploymentRejected([Problem(
                f"message '{message}' already starts process '{start.process_key}'; one message may "
                "start one process only", use.element_id, use.line)])


def parse_all(files: tuple[tuple[str, bytes | str], ...], max_bytes: int) -> dict[str, ParsedFile]:
    """Parse every file, collecting the problems of all of them before refusing."""
    parsed, problems, keys = {}, [], {}
    for filename, xml in files:
        try:
            parsed[filename] = parse_file(xml, max_bytes, filename)
        except DeploymentRejected as rejected:
            problems.extend(rejected.problems)
            continue
        for key in parsed[filename].models:
            if key in keys:
                problems.append(Problem(f"process '{key}' is also defined in {keys[key]}", key, file=filename))
            keys[key] = filename
    if problems:
        raise DeploymentRejected(problems)
    return parsed


def missing_forms(session, store: FormStore, model, filename: str, bundle: dict) -> list[Problem]:
    """The user tasks of `model` whose form could not be pinned (a dry run of _pin_forms)."""
    problems: list[Problem] = []
    for element_id, key in model.form_uses():
        if not key:
            problems.append(Problem("user task has no kedja:formKey", element_id, file=filename))
        elif not FORM_KEY.match(key):
            problems.append(Problem(f"kedja:formKey '{key[:100]}' is not a form name (small letters, digits, _)",
                                    element_id, file=filename))
        elif key not in bundle and store.latest_row(session, key) is None and store.initial_schema(key) is None:
            problems.append(Problem(f"no deployed form '{key}' (make it in the form editor first)",
                                    element_id, file=filename))
    return problems


def _pin_forms(repo: Repository, store: FormStore, model, filename: str, bundle: dict[str, int],
               now: datetime, source: str, deployed_by: str | None, problems: list[Problem]) -> dict[str, int]:
    """The form version of each user task: from the bundle, else the latest deployed, else the
    initial form file (deployed now as version 1). A task without a deployable form is a problem."""
    pins: dict[str, int] = {}
    for element_id, key in model.form_uses():
        if not key:
            problems.append(Problem("user task has no kedja:formKey", element_id, file=filename))
            continue
        if not FORM_KEY.match(key):
            problems.append(Problem(f"kedja:formKey '{key[:100]}' is not a form name (small letters, digits, _)",
                                    element_id, file=filename))
            continue
        if key in pins:
            continue
        if key in bundle:
            pins[key] = bundle[key]
        elif (latest := store.latest_row(repo.session, key)) is not None:
            pins[key] = latest.version
        elif (initial := store.initial_schema(key)) is not None and not form_problems(key, initial):
            pins[key], _ = store.write(repo.session, key, initial, now, "file", deployed_by)
            bundle[key] = pins[key]
        else:
            problems.append(Problem(f"no deployed form '{key}' (make it in the form editor first)",
                                    element_id, file=filename))
    return pins


def deploy(repo: Repository, cache: ProcessCache, store: FormStore, parsed: dict[str, ParsedFile],
           forms: dict[str, dict], now: datetime, *, source: str, deployed_by: str | None,
           only_new: bool = False) -> tuple[list[DeployedVersion], list]:
    """Write the forms of the bundle, then new versions of the diagrams with their forms
    pinned; return them and the after-commit work (cache fills). With `only_new`, a key that
    has a version already is left as it is (the initial model never replaces an owner's work)."""
    problems: list[Problem] = []
    bundle: dict[str, int] = {}
    for key, schema in forms.items():
        found = form_problems(key, schema)
        if found:
            problems.extend(found)
        else:
            bundle[key], _ = store.write(repo.session, key, schema, now, source, deployed_by)
    results, to_cache = [], []
    for filename, parsed_file in parsed.items():
        for key, model in parsed_file.models.items():
            latest = repo.latest_definition(key)
            if only_new and latest is not None:
                results.append(DeployedVersion(key, latest.version, latest.name, latest.id, False))
                continue
            pins = json.dumps(_pin_forms(repo, store, model, filename, bundle, now, source, deployed_by, problems),
                              sort_keys=True)
            if problems:
                continue
            unchanged = latest is not None and latest.checksum == parsed_file.checksum
            if unchanged and (latest.form_versions or "{}") == pins:
                results.append(DeployedVersion(key, latest.version, latest.name, latest.id, False))
                continue
            row = ProcessDefinition(key=key, version=(latest.version + 1) if latest else 1, name=model.name,
                                    checksum=parsed_file.checksum, bpmn_xml=parsed_file.xml,
                                    deployed_at=utc_naive(now), source=source, deployed_by=deployed_by,
                                    form_versions=pins)
            repo.add(row)
            repo.flush()
            for message, use in model.message_starts.items():
                _refuse_second_starter(repo, key, message, use, parsed_file)
                repo.add(MessageStartEvent(definition_id=row.id, process_key=key, message_name=message,
                                           element_id=use.element_id))
            results.append(DeployedVersion(key, row.version, row.name, row.id, True))
            to_cache.append((row, parsed_file))
    if problems:
        raise DeploymentRejected(problems)
    return results, to_cache
