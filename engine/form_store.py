"""Forms as deployed resources: versioned in the database like diagrams.

A form is a JSON Schema (draft 2020-12) with Swedish titles. Deploying a form writes a new
version unless its content equals the latest one. A process version pins the form versions its
user tasks use when it is deployed, and a task keeps the version it opened with, so changing a
form never changes a task that is already open.

The files in `forms/schemas/` (overlaid by `KEDJA_FORMS_DIR`) are the *initial* forms: a form
key with no deployed version is deployed from there the first time a diagram names it.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forms import InitialForms

from .clock import utc_naive
from .errors import Problem
from .models import FormDefinition

# A form key is a name, never a path (`kedja:formKey="/srv/x"` once read a file from disk).
FORM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
MAX_FORM_BYTES = 256 * 1024


@dataclass(frozen=True)
class FormVersion:
    key: str
    version: int
    title: str | None
    deployed_at: datetime
    source: str | None
    deployed_by: str | None


def canonical(schema: dict) -> str:
    """The form's text as stored and compared: compact, keys in the order written. A form's
    fields are shown in the order of its `properties`, so that order is part of its content
    (sorted keys once showed every deployed form's fields in alphabetical order)."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def checksum(schema: dict) -> str:
    return hashlib.sha256(canonical(schema).encode("utf-8")).hexdigest()


def form_problems(key: str, schema) -> list[Problem]:
    """What keeps `schema` from being deployed as form `key` (empty when it may be)."""
    where = f"formulär {key}"
    if not isinstance(key, str) or not FORM_KEY.match(key):
        return [Problem("a form key is a name of small letters, digits and _ (starting with a letter)",
                        str(key)[:100], file=where)]
    if not isinstance(schema, dict):
        return [Problem("a form is a JSON object (a JSON Schema)", key, file=where)]
    if len(canonical(schema).encode("utf-8")) > MAX_FORM_BYTES:
        return [Problem(f"the form is larger than {MAX_FORM_BYTES // 1024} KiB", key, file=where)]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        path = "/".join(str(p) for p in err.absolute_path)
        return [Problem(f"not a valid JSON Schema at '{path or '(roten)'}': {err.message}", key, file=where)]
    problems = []
    if schema.get("type") != "object" or not isinstance(schema.get("properties", {}), dict):
        problems.append(Problem("a form has \"type\": \"object\" and its fields under \"properties\"", key,
                                file=where))
    if not schema.get("title"):
        problems.append(Problem("a form has a title (shown as the task's heading)", key, file=where))
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and not prop.get("title"):
            problems.append(Problem(f"field '{name}' has no title (its Swedish label)", key, file=where))
    return problems


class FormStore:
    """The deployed forms. Versions never change, so each is read once and kept."""

    def __init__(self, session_factory: sessionmaker[Session], forms_dir: str | Path | None = None) -> None:
        self._session_factory = session_factory
        self._initial = InitialForms(forms_dir)
        self._cache: dict[tuple[str, int], dict] = {}
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------
    def schema(self, key: str | None, version: int | None = None) -> dict | None:
        """Form `key` at `version` (None: the latest deployed); None when there is none."""
        if not key:
            return None
        if version is not None and (key, version) in self._cache:
            return copy.deepcopy(self._cache[(key, version)])
        with self._session_factory() as session:
            query = select(FormDefinition).where(FormDefinition.key == key)
            query = query.where(FormDefinition.version == version) if version is not None else (
                query.order_by(FormDefinition.version.desc()).limit(1))
            row = session.scalars(query).first()
            if row is None:
                return None
            schema = json.loads(row.schema_json)
            with self._lock:
                self._cache[(row.key, row.version)] = schema
            return copy.deepcopy(schema)

    def versions(self, key: str) -> list[FormVersion]:
        with self._session_factory() as session:
            rows = session.scalars(select(FormDefinition).where(FormDefinition.key == key)
                                   .order_by(FormDefinition.version)).all()
            return [FormVersion(r.key, r.version, r.title, r.deployed_at, r.source, r.deployed_by) for r in rows]

    def latest(self) -> list[FormVersion]:
        """The latest version of every deployed form, by key."""
        with self._session_factory() as session:
            newest = (select(FormDefinition.key, func.max(FormDefinition.version).label("version"))
                      .group_by(FormDefinition.key).subquery())
            rows = session.scalars(select(FormDefinition).join(
                newest, (newest.c.key == FormDefinition.key) & (newest.c.version == FormDefinition.version))
                .order_by(FormDefinition.key)).all()
            return [FormVersion(r.key, r.version, r.title, r.deployed_at, r.source, r.deployed_by) for r in rows]

    def keys(self) -> set[str]:
        """Every form a diagram may name: the deployed ones and the initial ones."""
        return {form.key for form in self.latest()} | self._initial.keys()

    def initial_schema(self, key: str) -> dict | None:
        return self._initial.schema(key) if FORM_KEY.match(key or "") else None

    # --- writing (in the caller's transaction) ---------------------------------------------
    @staticmethod
    def latest_row(session: Session, key: str) -> FormDefinition | None:
        return session.scalars(select(FormDefinition).where(FormDefinition.key == key)
                               .order_by(FormDefinition.version.desc()).limit(1)).first()

    def write(self, session: Session, key: str, schema: dict, now: datetime, source: str,
              deployed_by: str | None) -> tuple[int, bool]:
        """Deploy `schema` as form `key` unless the latest version has the same content.
        Returns (version, created). The caller has checked it with `form_problems`."""
        latest = self.latest_row(session, key)
        digest = checksum(schema)
        if latest is not None and latest.checksum == digest:
            return latest.version, False
        row = FormDefinition(key=key, version=(latest.version + 1) if latest else 1, title=schema.get("title"),
                             schema_json=canonical(schema), checksum=digest, deployed_at=utc_naive(now),
                             source=source, deployed_by=deployed_by)
        session.add(row)
        return row.version, True
