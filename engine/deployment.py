"""Deployment: diagrams in, immutable numbered versions out; parsed specs cached per version."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from .clock import utc_naive
from .definitions import ParsedFile, parse_file
from .errors import DeploymentRejected, Problem
from .models import MessageStartEvent, ProcessDefinition
from .repository import Repository
from .workflow import CompiledProcess


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
        compiled = CompiledProcess(row.id, row.key, row.version, parsed.parser.get_spec(row.key),
                                   parsed.parser.get_subprocess_specs(row.key), parsed.models[row.key])
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


def deploy(repo: Repository, cache: ProcessCache, parsed: dict[str, ParsedFile],
           now: datetime) -> tuple[list[DeployedVersion], list]:
    """Write new versions; return them and the after-commit work (cache fills)."""
    results, to_cache = [], []
    for parsed_file in parsed.values():
        for key, model in parsed_file.models.items():
            latest = repo.latest_definition(key)
            if latest is not None and latest.checksum == parsed_file.checksum:
                results.append(DeployedVersion(key, latest.version, latest.name, latest.id, False))
                continue
            row = ProcessDefinition(key=key, version=(latest.version + 1) if latest else 1, name=model.name,
                                    checksum=parsed_file.checksum, bpmn_xml=parsed_file.xml,
                                    deployed_at=utc_naive(now))
            repo.add(row)
            repo.flush()
            for message, use in model.message_starts.items():
                _refuse_second_starter(repo, key, message, use, parsed_file)
                repo.add(MessageStartEvent(definition_id=row.id, process_key=key, message_name=message,
                                           element_id=use.element_id))
            results.append(DeployedVersion(key, row.version, row.name, row.id, True))
            to_cache.append((row, parsed_file))
    return results, to_cache
