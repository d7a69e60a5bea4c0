"""A procurement's chain: the procurement case, its suppliers' cases and its participants'
(those earmarked for it, and those placed in one of its vacancies whichever procurement they
were earmarked for), each with where it is now. The processes are found by their roles."""
from __future__ import annotations

from engine import NotFound

from .roles import PARTICIPANT, PROCUREMENT, SUPPLIER, roles


def chain(engine, procurement_id: str) -> dict[str, list[dict]]:
    """{"procurement": [...], "supplier": [...], "participant": [...]}, each member a dict with
    id, process, business_key, status and phase; NotFound without such a procurement."""
    declared = roles(engine)
    keys = {role: declared.processes(role) for role in (PROCUREMENT, SUPPLIER, PARTICIPANT)}
    rows = engine.queries.facts_of(set().union(*keys.values()))
    placed = {str(placement.get("participant_id")) for _id, key, facts in rows
              if key in keys[PROCUREMENT] and facts.get("procurement_id") == procurement_id
              for placement in facts.get("placements") or []}
    members: dict[str, list[str]] = {role: [] for role in keys}
    for instance_id, key, facts in rows:
        for role, role_keys in keys.items():
            if key in role_keys and (facts.get("procurement_id") == procurement_id or (
                    role == PARTICIPANT and str(facts.get("participant_id")) in placed)):
                members[role].append(instance_id)
    if not members[PROCUREMENT]:
        raise NotFound(f"no procurement {procurement_id}")
    return {role: engine.queries.summaries(sorted(ids)) for role, ids in members.items()}
