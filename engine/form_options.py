"""Choices for form fields that name live data. A form asks for them with
`"x-kedja-options": "<provider>"` or `"x-kedja-organisation": "<kind>"` on a field; the
choices become the field's `enum`, so the server refuses anything else.

The engine provides `organisations:<kinds>` (the organisations of those kinds). The other
providers belong to a model package (the Göteborg model's open vacancies, bids, …: its
`option_providers`, found through the entry point group `kedja.model`): each is a function of
an `OptionReader` (what it may read, in the query's session) and the task's own data, giving
(value, label) pairs."""
from __future__ import annotations

import functools
import json
from importlib.metadata import entry_points

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Instance, InstanceFacts, Organisation, Wait
from .repository import ACTIVE_STATUSES
from .roles import DeclaredRoles, declared_roles_in
from .statuses import WaitKind

MODEL_ENTRY_POINTS = "kedja.model"


class OptionReader:
    """What a model package's choice provider reads: waits, kept facts and declared roles."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def waiting(self, *messages: str) -> list[tuple[str, dict]]:
        """(instance id, correlation values) of every catch that waits for one of `messages` now."""
        rows = self._session.execute(select(Wait.instance_id, Wait.correlation_key).where(
            Wait.kind == WaitKind.MESSAGE, Wait.message_name.in_(messages)).order_by(Wait.since))
        return [(instance_id, json.loads(key or "{}")) for instance_id, key in rows]

    def facts(self, instance_ids) -> dict[str, dict]:
        """instance id -> its kept facts (kedja:facts)."""
        rows = self._session.scalars(select(InstanceFacts).where(InstanceFacts.instance_id.in_(list(instance_ids))))
        return {row.instance_id: json.loads(row.facts) for row in rows}

    def facts_of(self, process_keys, active: bool = False) -> list[tuple[str, str, dict]]:
        """(instance id, process key, kept facts) of the cases of these processes (`active`: only
        those still under way)."""
        query = select(InstanceFacts).where(InstanceFacts.process_key.in_(sorted(process_keys)))
        if active:
            query = query.join(Instance, Instance.id == InstanceFacts.instance_id).where(
                Instance.status.in_(ACTIVE_STATUSES))
        return [(row.instance_id, row.process_key, json.loads(row.facts)) for row in self._session.scalars(query)]

    def roles(self) -> list[DeclaredRoles]:
        return declared_roles_in(self._session)


@functools.cache
def model_providers() -> tuple[dict, frozenset]:
    """(provider name -> function, names of those that read the task's own data) of the
    installed model packages (their `option_providers` and `data_providers`)."""
    providers: dict = {}
    data: set[str] = set()
    for entry in sorted(entry_points(group=MODEL_ENTRY_POINTS), key=lambda e: e.name):
        package = entry.load()
        providers.update(getattr(package, "option_providers", {}))
        data |= set(getattr(package, "data_providers", ()))
    return providers, frozenset(data)


def data_providers() -> frozenset:
    """The providers whose choices depend on the task's own data."""
    return model_providers()[1]


def _organisations(session: Session, kinds: str) -> list[tuple[str, str]]:
    names = session.scalars(select(Organisation.name).where(Organisation.kind.in_(kinds.split()))
                            .order_by(Organisation.name))
    return [(name, name) for name in names]


def form_options(session: Session, providers: set[str], data: dict | None = None) -> dict[str, list[tuple[str, str]]]:
    """Choices by provider name (an unknown one gives none); `data` is the task's own data."""
    data = data or {}
    model, _data = model_providers()
    options: dict[str, list[tuple[str, str]]] = {}
    for provider in providers:
        if provider.startswith("organisations:"):
            options[provider] = _organisations(session, provider.split(":", 1)[1])
        elif provider in model:
            options[provider] = model[provider](OptionReader(session), data)
    return options
