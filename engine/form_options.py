"""Choices that only the engine knows, for form fields that name live data: the open
vacancies described for a person (the participant's own procurement first, then by the
distribution key), the districts of the distribution key, procurements open
for bids, the bids a procurement received, organisations of a kind. A form asks for them with
`"x-kedja-options": "<provider>"` or `"x-kedja-organisation": "<kind>"` on a field; the
choices become the field's `enum`, so the server refuses anything else."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from .distribution import current_key, district_standing
from .models import Instance, InstanceFacts, Organisation, Wait
from .repository import ACTIVE_STATUSES
from .roles import declared_roles_in, processes_with
from .statuses import WaitKind

# The open vacancies are the catches that wait for the message declaring this role
# (kedja:modelRole on the bpmn:message, engine/roles.py), whatever the message is named; without
# a deployed version that declares it (diagrams older than roles), the initial model's message.
OPEN_VACANCIES_ROLE = "candidate_proposal"
# The providers whose choices depend on the task's own data.
DATA_PROVIDERS = frozenset({"open_vacancies", "bids"})
BIDS_MESSAGE = "bid_submitted"
PLACEMENT_FORMS = {"employment": "anställning", "apprenticeship": "lärlingsanställning", "trainee": "traineeplats",
                   "internship": "praktik"}


def _facts_of(session: Session, instance_ids) -> dict[str, dict]:
    rows = session.scalars(select(InstanceFacts).where(InstanceFacts.instance_id.in_(list(instance_ids))))
    return {row.instance_id: json.loads(row.facts) for row in rows}


def _waiting_keys(session: Session, *messages: str) -> list[tuple[str, dict]]:
    """(instance id, correlation values) of every catch that waits for one of `messages` now."""
    rows = session.execute(select(Wait.instance_id, Wait.correlation_key).where(
        Wait.kind == WaitKind.MESSAGE, Wait.message_name.in_(messages)).order_by(Wait.since))
    return [(instance_id, json.loads(key or "{}")) for instance_id, key in rows]


def _open_vacancies(session: Session, data: dict) -> list[tuple[str, str]]:
    """The open vacancies (each waits for a candidate proposal), described so that a caseworker
    knows them (title, supplier, district, procurement): the participant's own procurement first,
    then the districts furthest below their share of the distribution key (engine/distribution.py)."""
    messages = {name for roles in declared_roles_in(session) for name in roles.messages_with(OPEN_VACANCIES_ROLE)}
    waiting = _waiting_keys(session, *sorted(messages or {OPEN_VACANCIES_ROLE}))
    facts = _facts_of(session, {instance_id for instance_id, _key in waiting})
    standing = district_standing(session) if waiting else {}
    titles = _procurement_titles(session) if waiting else {}
    own = str(data.get("procurement_id") or "")
    choices = []
    for instance_id, key in waiting:
        vacancy_id = key.get("vacancy_id")
        if vacancy_id is None:
            continue
        supplier = facts.get(instance_id, {})
        vacancy = next((v for v in supplier.get("vacancies") or [] if v.get("vacancy_id") == vacancy_id), {})
        procurement = str(supplier.get("procurement_id") or vacancy_id.split("/")[0])
        district = vacancy.get("district")
        difference = standing.get(district, {}).get("difference") if district else None
        title = titles.get(procurement)
        # The district and its standing early, so that a narrow list still shows them.
        parts = [vacancy.get("title") or "Tjänst", supplier.get("supplier_name") or "",
                 _district_text(district, difference), PLACEMENT_FORMS.get(vacancy.get("form"), ""),
                 f"start {vacancy['start_date']}" if vacancy.get("start_date") else "",
                 f"upphandling {title + ' (' + procurement + ')' if title else procurement}"
                 + (", deltagarens" if procurement == own else "")]
        # Unknown standing (no district, or one outside the key) sorts after those the key places.
        order = (procurement != own, difference if difference is not None else 2.0)
        choices.append((order, vacancy_id, " – ".join(p for p in parts if p)))
    return [(vacancy_id, label) for _order, vacancy_id, label in sorted(set(choices))]


def _district_text(district: str | None, difference: float | None) -> str:
    if not district:
        return "stadsdel ej angiven"
    if difference is None:
        return f"{district} (utanför fördelningsnyckeln)"
    points = round(abs(difference) * 100)
    if points == 0:
        return f"{district} (enligt fördelningsnyckeln)"
    side = "under" if difference < 0 else "över"
    return f"{district} ({points} procentenheter {side} fördelningsnyckeln)"


def _procurement_titles(session: Session) -> dict[str, str]:
    rows = session.scalars(select(InstanceFacts.facts).where(
        InstanceFacts.process_key.in_(processes_with(session, "procurement", "procurement"))))
    titles = {}
    for facts in rows:
        values = json.loads(facts)
        if values.get("procurement_id") and values.get("title"):
            titles[str(values["procurement_id"])] = str(values["title"])
    return titles


def _districts() -> list[tuple[str, str]]:
    """The districts of the distribution key, for a vacancy's district."""
    return [(name, name) for name in sorted(current_key())]


def _published_procurements(session: Session) -> list[tuple[str, str]]:
    """Procurements open for bids now (waiting for a bid)."""
    waiting = _waiting_keys(session, BIDS_MESSAGE)
    facts = _facts_of(session, {instance_id for instance_id, _key in waiting})
    choices = {}
    for instance_id, key in waiting:
        procurement_id = str(key.get("procurement_id") or facts.get(instance_id, {}).get("procurement_id") or "")
        if procurement_id:
            title = facts.get(instance_id, {}).get("title")
            choices[procurement_id] = f"{title} ({procurement_id})" if title else procurement_id
    return sorted(choices.items(), key=lambda item: item[1])


def _procurements(session: Session) -> list[tuple[str, str]]:
    """Every procurement under way, by its title."""
    rows = session.execute(select(InstanceFacts.facts).join(Instance, Instance.id == InstanceFacts.instance_id)
                           .where(InstanceFacts.process_key.in_(processes_with(session, "procurement", "procurement")),
                                  Instance.status.in_(ACTIVE_STATUSES)))
    choices = {}
    for (facts,) in rows:
        values = json.loads(facts)
        if procurement_id := values.get("procurement_id"):
            title = values.get("title")
            choices[str(procurement_id)] = f"{title} ({procurement_id})" if title else str(procurement_id)
    return sorted(choices.items(), key=lambda item: item[1])


def _bids(data: dict) -> list[tuple[str, str]]:
    """The bids the procurement received (its own data), by supplier name."""
    choices = []
    for bid in data.get("bids") or []:
        if isinstance(bid, dict) and bid.get("supplier_id"):
            name = str(bid.get("supplier_name") or bid["supplier_id"])
            reference = f" – anbud {bid['bid_reference']}" if bid.get("bid_reference") else ""
            choices.append((str(bid["supplier_id"]), name + reference))
    return choices


def _organisations(session: Session, kinds: str) -> list[tuple[str, str]]:
    names = session.scalars(select(Organisation.name).where(Organisation.kind.in_(kinds.split()))
                            .order_by(Organisation.name))
    return [(name, name) for name in names]


def form_options(session: Session, providers: set[str], data: dict | None = None) -> dict[str, list[tuple[str, str]]]:
    """Choices that only the engine knows, by provider name; `data` is the task's own data."""
    data = data or {}
    options: dict[str, list[tuple[str, str]]] = {}
    for provider in providers:
        if provider == "open_vacancies":
            options[provider] = _open_vacancies(session, data)
        elif provider == "published_procurements":
            options[provider] = _published_procurements(session)
        elif provider == "procurements":
            options[provider] = _procurements(session)
        elif provider == "districts":
            options[provider] = _districts()
        elif provider == "bids":
            options[provider] = _bids(data)
        elif provider.startswith("organisations:"):
            options[provider] = _organisations(session, provider.split(":", 1)[1])
    return options
