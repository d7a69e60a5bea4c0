"""The follow-up figures (nyckeltal, see docs/domain.md), computed from the kept facts of the
cases and the history of their user tasks (the engine's projections: no workflow is loaded).
The processes are found by their roles and the phases by the tasks' kedja:followUpPhase
(goteborg/roles.py), so an owner who renames a task or a process keeps the figures."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from .distribution import current_key, normalised, placement_counts, standing
from .roles import PARTICIPANT, PHASES, PROCUREMENT, SUPPLIER, Roles, roles

REQUIREMENT_KINDS = ("dialogue", "binding", "reserved")
OUTCOMES = ("employment", "apprenticeship", "trainee", "internship", "other_occupation")
SHARE_GOAL = 0.5
RULE_OF_75 = 0.75
RESERVED_MIN_SHARE = 0.3  # a reserved contract: staff from the target groups (the setting's default)


@dataclass
class FollowUpFigures:
    service_procurements: int = 0
    service_with_requirement: int = 0
    share_with_requirement: float | None = None
    share_goal: float = SHARE_GOAL
    share_by_organisation: dict = field(default_factory=dict)  # org -> {services, with_requirement, share}
    procurements_screened: int = 0
    procurements_candidates: int = 0
    requirements_by_kind: dict = field(default_factory=dict)
    people_by_outcome: dict = field(default_factory=dict)
    people_by_target_group: dict = field(default_factory=dict)  # target group -> outcome -> n
    people_by_gender: dict = field(default_factory=dict)
    people_by_district: dict = field(default_factory=dict)
    # Placements by the vacancy's district against the distribution key: district ->
    # {placements, share, key_share, difference} (engine/distribution.py).
    placements_by_district: dict = field(default_factory=dict)
    contracts: list = field(default_factory=list)
    lead_time_days_by_phase: dict = field(default_factory=dict)
    dropout_by_phase: dict = field(default_factory=dict)  # phase -> {entered, dropouts, rate}
    certificates_issued: int = 0  # participants given a certificate (intyg) after a placement
    employment_after_placement: int = 0  # internship or trainee places that led on to employment
    # Reserved contracts: the staff share from the target groups against the 30 % rule; dialogue
    # requirements: how many contracts were followed up, held a dialogue, and people hired.
    reserved_contracts: list = field(default_factory=list)
    dialogue_follow_up: dict = field(default_factory=dict)
    # Cases a procurement that ended early (no candidate, no requirement, no bids) released at once.
    participants_released: int = 0
    bidders_released: int = 0
    socio_economic_value_sek: int = 0
    socio_economic_values: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def follow_up(engine, socio_economic_values: dict[str, int],
              distribution_key: dict[str, float] | None = None) -> FollowUpFigures:
    """The figures now; `distribution_key`: the engine's (its settings['distribution_key']), None:
    the one of the command running (the default outside one)."""
    declared = roles(engine)
    facts = _facts(engine, declared)
    figures = FollowUpFigures(socio_economic_values=dict(socio_economic_values))
    _procurements(figures, facts.get("procurement", []))
    participants = facts.get("target_group", [])
    _people(figures, participants, socio_economic_values)
    # Told at once that their procurement ended: before a requirement (kind 'none'), or after it
    # without a contract (no bids: procurement_ended, and the case owner moved them on).
    figures.participants_released = sum(1 for p in participants if p.get("procurement_released")
                                        or (p.get("requirement") or {}).get("requirement_kind") == "none")
    figures.bidders_released = sum(1 for s in facts.get("supplier", []) if s.get("tender_closed")
                                   and s.get("supplier_id") not in s["tender_closed"].get("bidders", []))
    _phases(figures, engine, declared, participants)
    key = normalised(distribution_key) if distribution_key is not None else current_key()
    figures.placements_by_district = standing(
        placement_counts(facts.get("procurement", []), facts.get("supplier", []), participants), key)
    return figures


def _facts(engine, declared: Roles) -> dict[str, list[dict]]:
    """The kept facts of the procurement, supplier and participant cases, by role (keyed as the
    figures always were: procurement, supplier, target_group)."""
    by_role: dict[str, list[dict]] = defaultdict(list)
    for role, name in ((PROCUREMENT, "procurement"), (SUPPLIER, "supplier"), (PARTICIPANT, "target_group")):
        for instance_id, _key, facts in engine.queries.facts_of(declared.processes(role)):
            by_role[name].append({"_instance_id": instance_id, **facts})
    return by_role


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _procurements(figures: FollowUpFigures, procurements: list[dict]) -> None:
    registered = [p for p in procurements if p.get("kind")]
    figures.procurements_screened = len(registered)
    figures.procurements_candidates = sum(1 for p in registered if p.get("candidate"))
    kinds = Counter(p.get("requirement_kind") for p in registered if p.get("requirement_kind") in REQUIREMENT_KINDS)
    figures.requirements_by_kind = {kind: kinds.get(kind, 0) for kind in REQUIREMENT_KINDS}
    services = [p for p in registered if p["kind"] == "service"]
    with_requirement = [p for p in services if p.get("requirement_kind") in REQUIREMENT_KINDS]
    figures.service_procurements, figures.service_with_requirement = len(services), len(with_requirement)
    figures.share_with_requirement = _share(len(with_requirement), len(services))
    by_org: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in services:
        by_org[p.get("buyer_organisation")][0] += 1
        by_org[p.get("buyer_organisation")][1] += p in with_requirement
    figures.share_by_organisation = {org: {"services": n, "with_requirement": w, "share": _share(w, n)}
                                     for org, (n, w) in sorted(by_org.items())}
    contracts = [p for p in registered if p.get("awarded_supplier_id")]
    figures.reserved_contracts = sorted((
        {"procurement_id": p.get("procurement_id"), "staff_share": p.get("staff_share"),
         "meets_rule": p.get("staff_share") is not None and p["staff_share"] >= RESERVED_MIN_SHARE}
        for p in contracts if p.get("requirement_kind") == "reserved"), key=lambda c: str(c["procurement_id"]))
    followed = [p for p in contracts if p.get("requirement_kind") == "dialogue" and p.get("dialogue_held") is not None]
    figures.dialogue_follow_up = {
        "contracts": sum(1 for p in contracts if p.get("requirement_kind") == "dialogue"),
        "followed_up": len(followed), "dialogue_held": sum(1 for p in followed if p["dialogue_held"]),
        "people_hired": sum(p.get("dialogue_people_hired") or 0 for p in followed)}
    figures.contracts = sorted((_contract(p) for p in registered if p.get("awarded_supplier_id")),
                               key=lambda contract: str(contract["procurement_id"]))


def _contract(p: dict) -> dict:
    placements = p.get("placements") or []
    ended = {d.get("participant_id"): d for d in p.get("dropouts") or []}
    counting = sum(1 for placement in placements if _counts(placement, ended.get(placement.get("participant_id"))))
    return {
        "procurement_id": p.get("procurement_id"), "title": p.get("title"), "supplier_id": p.get("awarded_supplier_id"),
        "required_months": p.get("required_months"), "months_delivered": p.get("months_delivered"),
        "first_placement_within_6_months": p.get("first_placement_in_time"),
        "placements": len(placements), "placements_counting_75_percent_rule": counting,
        # Months short at the fulfilment date (a correction request followed), and the sanction decided.
        "shortfall_months": p.get("shortfall_months"), "sanction": p.get("sanction_kind"),
    }


def _counts(placement: dict, dropout: dict | None) -> bool:
    """An early end counts if 75 % of the agreed time was served."""
    if dropout is None:
        return True
    try:
        start, end = date.fromisoformat(placement["start_date"]), date.fromisoformat(placement["end_date"])
        ended = date.fromisoformat(dropout["date"])
    except (KeyError, TypeError, ValueError):
        return False
    agreed = (end - start).days
    return agreed > 0 and (ended - start).days / agreed >= RULE_OF_75


def _people(figures: FollowUpFigures, participants: list[dict], values: dict[str, int]) -> None:
    placed = [p for p in participants if p.get("outcome") in OUTCOMES]
    figures.people_by_outcome = {outcome: sum(1 for p in placed if p["outcome"] == outcome) for outcome in OUTCOMES}
    for attribute, target in (("target_group", figures.people_by_target_group),
                              ("gender", figures.people_by_gender), ("district", figures.people_by_district)):
        table: dict[str, Counter] = defaultdict(Counter)
        for p in placed:
            table[p.get(attribute)][p["outcome"]] += 1
        target.update({key: {outcome: counts[outcome] for outcome in OUTCOMES if counts[outcome]}
                       for key, counts in sorted(table.items(), key=lambda kv: str(kv[0]))})
    figures.socio_economic_value_sek = int(sum(values.get(p["outcome"], 0) for p in placed))
    figures.certificates_issued = sum(1 for p in placed if p.get("certificate_issued_on"))
    figures.employment_after_placement = sum(1 for p in placed
                                             if p.get("employed_after") and p["outcome"] == "employment")


def _dropout_phase(p: dict) -> str | None:
    if p.get("continue_programme") is False:
        return "utredning"
    if p.get("training_completed") is False:
        return "träning"
    if p.get("next_step") == "end":
        return "praktik_anställning"
    return None


def _phases(figures: FollowUpFigures, engine, declared: Roles, participants: list[dict]) -> None:
    ids = [p["_instance_id"] for p in participants]
    spans: dict[tuple[str, str], list] = {}
    declared_phases: list[str] = []
    for process_key in sorted(declared.processes(PARTICIPANT)):
        phase_of = declared.phases(process_key)  # user task id -> kedja:followUpPhase
        declared_phases.extend(phase_of.values())
        for instance_id, element_id, created_at, completed_at in engine.queries.task_times(process_key, phase_of):
            if ids and instance_id not in ids:
                continue
            key = (instance_id, phase_of[element_id])
            first, last = spans.get(key, (created_at, completed_at))
            spans[key] = (min(first, created_at), max(filter(None, (last, completed_at)), default=None))
    durations: dict[str, list[float]] = defaultdict(list)
    entered: Counter = Counter()
    for (_instance, phase), (first, last) in spans.items():
        entered[phase] += 1
        if last is not None:
            durations[phase].append((last - first).total_seconds() / 86400)
    phases = list(dict.fromkeys((*PHASES, *sorted(declared_phases))))  # the model's phases in order, then others
    figures.lead_time_days_by_phase = {
        phase: round(sum(durations[phase]) / len(durations[phase]), 1) if durations[phase] else None
        for phase in phases}
    dropouts = Counter(_dropout_phase(p) for p in participants)
    figures.dropout_by_phase = {phase: {"entered": entered[phase], "dropouts": dropouts.get(phase, 0),
                                        "rate": _share(dropouts.get(phase, 0), entered[phase])}
                                for phase in phases}
