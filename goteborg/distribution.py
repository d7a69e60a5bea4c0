"""The geographic distribution key (fördelningsnyckeln): the share of the city's placements
each district should get. Placements are counted by the district of the vacancy they fill (where
the work is, given by the supplier in its recruitment need); a vacancy without one counts for the
participant's own district. Both the follow-up (goteborg/reports.py) and the vacancy list offered
when a participant is matched (goteborg/options.py) read the standing from here, so what
steers matching is what the follow-up shows."""
from __future__ import annotations

from collections import Counter

from engine import OptionReader, current_settings

from .roles import PARTICIPANT, PROCUREMENT, SUPPLIER, Roles
from .settings import DEFAULT_DISTRIBUTION_KEY

UNKNOWN_DISTRICT = "okänd"


def normalised(key: dict | None) -> dict[str, float]:
    """Shares that sum to 1 (a key written as counts or percentages works too); None or empty:
    the default key."""
    key = {str(name): float(share) for name, share in (key or {}).items() if float(share) > 0}
    if not key:
        key = dict(DEFAULT_DISTRIBUTION_KEY)
    total = sum(key.values())
    return {name: share / total for name, share in key.items()}


def current_key() -> dict[str, float]:
    """The key of the engine running this step or query (its model settings)."""
    return normalised(current_settings().get("distribution_key"))


def vacancy_districts(suppliers: list[dict]) -> dict[str, str]:
    """vacancy id -> district, from the supplier cases' facts."""
    return {v["vacancy_id"]: v["district"] for s in suppliers for v in s.get("vacancies") or []
            if isinstance(v, dict) and v.get("vacancy_id") and v.get("district")}


def placement_counts(procurements: list[dict], suppliers: list[dict], participants: list[dict]) -> Counter:
    """Placements started (a later dropout still counts: the place was given) by district."""
    by_vacancy = vacancy_districts(suppliers)
    home = {p.get("participant_id"): p.get("district") for p in participants}
    counts: Counter = Counter()
    for procurement in procurements:
        for placement in procurement.get("placements") or []:
            district = by_vacancy.get(placement.get("vacancy_id")) or home.get(placement.get("participant_id"))
            counts[district or UNKNOWN_DISTRICT] += 1
    return counts


def standing(counts: Counter, key: dict[str, float]) -> dict[str, dict]:
    """Per district (every district of the key, and any other with placements): placements, their
    share, the key's share and the difference (negative: below the key)."""
    total = sum(counts.values())
    rows = {}
    for district in [*key, *sorted(d for d in counts if d not in key)]:
        share = counts[district] / total if total else 0.0
        rows[district] = {"placements": counts[district], "share": round(share, 4),
                          "key_share": round(key.get(district, 0.0), 4),
                          "difference": round(share - key.get(district, 0.0), 4)}
    return rows


def district_standing(reader: OptionReader, key: dict[str, float] | None = None) -> dict[str, dict]:
    """The standing now; the processes found by their roles (goteborg/roles.py)."""
    declared = Roles(reader.roles())
    facts = [[facts for _id, _key, facts in reader.facts_of(declared.processes(role))]
             for role in (PROCUREMENT, SUPPLIER, PARTICIPANT)]
    return standing(placement_counts(*facts), key if key is not None else current_key())
