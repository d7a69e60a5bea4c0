"""Swedish words for the engine's English codes (the interface speaks Swedish).

Every key and value a person sees gets a Swedish label: a case's data from the titles and choice
labels of the deployed forms (`Vocabulary`), the rest from the tables below; diagram elements by
their names in the diagram (`element_names`). Values are shown the Swedish way, the same on every
page (Jinja filters, `register`):

- yes/no: "Ja" / "Nej";
- numbers: a no-break space between thousands and a decimal comma, at most two decimals
  ("1 234,5"); CSV has no thousands separator ("1234,5", as Excel in Swedish reads it);
- dates: ISO 8601 as Swedes write them ("2026-04-01"), times in the city's zone ("2026-04-01 10:00").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from flask import Flask, current_app, g, has_request_context
from lxml import etree

from ..auth import engine

STATUSES = {"running": "Pågår", "waiting": "Väntar", "completed": "Avslutad", "error": "Fel",
            "suspended": "Pausad", "terminated": "Avbruten"}
PROCESSES = {"procurement": "Upphandling", "supplier": "Leverantör", "target_group": "Deltagare"}
STALL_REASONS = {"message_wait": "Väntar länge på meddelande", "timer_overdue": "Timer försenad",
                 "task_overdue": "Uppgift förfallen", "task_unclaimed": "Uppgift ej tagen",
                 "no_progress": "Ingen framdrift", "orphan": "Väntar på ingenting", "error": "Fel"}
MESSAGE_STATUSES = {"pending": "Väntande", "delivered": "Levererat", "retained": "Levererat, sparas",
                    "buffered": "Buffrat",
                    "expired": "Utgånget", "started": "Startade instans", "failed": "Misslyckat"}
ROLES = {"caseworker": "Handläggare", "process_owner": "Processägare", "admin": "Administratör",
         "supplier": "Leverantör"}
TASK_STATES = {"open": "Öppen", "completed": "Klar", "cancelled": "Avbruten"}
# The messages between the processes of the model (bpmn:message names).
MESSAGES = {
    "requirement_decided": "Beslut om krav", "bid_submitted": "Anbud inlämnat", "award_decision": "Tilldelningsbeslut",
    "candidate_proposal": "Kandidatförslag", "selection_decision": "Beslut om kandidat",
    "placement_started": "Placering påbörjad", "placement_ended": "Placering avslutad",
    "placement_ended_report": "Rapport om avslutad placering", "monthly_report": "Månadsrapport",
    "correction_request": "Begäran om rättelse", "correction_answer": "Svar på begäran om rättelse",
    "sanction_decided": "Beslut om sanktion", "follow_up_closed": "Uppföljningen avslutad",
    "placement_completed": "Placering genomförd", "procurement_closed": "Upphandlingen avslutad",
    "procurement_ended": "Upphandlingen avslutad utan avtal",
}
# Administrators' actions in the audit log.
AUDIT_ACTIONS = {"suspend": "Pausade", "resume": "Återupptog", "retry": "Körde igen", "terminate": "Avbröt",
                 "reset": "Gick tillbaka", "migrate": "Flyttade till ny version",
                 "retry_timer": "Försökte timern igen", "retry_message": "Försökte meddelandet igen"}
# The target-group phases of the follow-up figures (goteborg.roles.PHASES, the tasks' kedja:followUpPhase).
FOLLOW_UP_PHASES = {"identifiering": "Identifiering", "utredning": "Utredning och bedömning",
                    "träning": "Basutbildning", "matchning": "Matchning",
                    "praktik_anställning": "Praktik eller anställning", "anställning": "Anställning"}
# Keys of a case's data that no form asks for (set at start, by the processes' scripts or by
# messages), and keys of the follow-up figures and of stall findings.
KEYS = {
    "procurement_id": "Upphandling", "participant_id": "Deltagare", "supplier_id": "Leverantör",
    "supplier_name": "Leverantörens namn", "vacancy_id": "Ledig tjänst", "contract_id": "Avtalsnummer",
    "buyer_organisation": "Beställande organisation", "case_owner": "Ärendeägare", "district": "Stadsdel",
    "coordination_association": "Samordningsförbund", "candidate": "Kandidat",
    "placements": "Placeringar", "dropouts": "Avbrott", "bids": "Anbud", "award": "Tilldelning",
    "awarded": "Tilldelad", "first_placement_checked": "Första placeringen kontrollerad",
    "first_placement_in_time": "Första placering inom sex månader", "vacancies": "Tjänster",
    "cv": "CV", "start_date": "Startdatum", "end_date": "Slutdatum", "date": "Datum", "reason": "Orsak",
    "months_delivered": "Levererade heltidsmånader", "active_placements": "Pågående placeringar",
    "message": "Meddelande", "correlation": "Korrelation", "task_id": "Uppgift", "name": "Namn",
    "organisation": "Organisation", "due_at": "Förfaller", "since": "Sedan",
    "services": "Tjänsteupphandlingar", "with_requirement": "Med krav", "share": "Andel",
    "entered": "Påbörjade", "rate": "Andel avbrott", "title": "Benämning", "form": "Form",
    "positions": "Antal", "required_months": "Krav: heltidsmånader",
    "first_placement_within_6_months": "Första placering inom sex månader",
    "placements_counting_75_percent_rule": "Placeringar som räknas enligt 75 %-regeln",
    "requirement": "Beslut om krav", "requirement_kind": "Typ av krav", "matching_body": "Matchningsansvarig",
    "shortfall_months": "Underskott vid uppfyllelsedatum (månader)", "shortfall_checked": "Underskott prövat",
    "sanction": "Sanktion", "staff_share": "Andel anställda ur målgrupperna", "meets_rule": "Uppfyller 30 %-regeln",
    "staff_total": "Anställda i uppdraget", "staff_target_group": "Varav ur målgrupperna",
    "placement_completed": "Placering genomförd", "completion": "Placering genomförd",
    "placement_form": "Placeringsform", "employed_after": "Anställd efter praktik eller trainee",
    "tender_closed": "Upphandlingen avslutad", "bidders": "Anbudsgivare", "awarded_supplier_id": "Tilldelad leverantör",
    "followed_up": "Uppföljda", "dialogue_held": "Dialog förd", "dialogue_people_hired": "Anställda genom dialogen",
    "people_hired": "Anställda genom dialogen", "contracts": "Avtal",
    "procurement_released": "Frisläppt från upphandlingen", "resume_at": "Återgår till steget",
    "first_placement_due": "Första placering senast", "ended": "Upphandlingen avslutad utan avtal",
    "key_share": "Andel enligt fördelningsnyckeln", "difference": "Skillnad mot fördelningsnyckeln",
}
# Values no form lists among its choices.
VALUES = {
    "outcome": {"completed": "Genomförd", "dropout": "Avbruten", "employment": "Anställning",
                "apprenticeship": "Lärlingsplats", "trainee": "Trainee", "internship": "Praktik",
                "other_occupation": "Annan sysselsättning"},
    "target_group": {"foreign_born": "Utrikes födda", "long_term_unemployed": "Långtidsarbetslösa"},
    "sanction": {"penalty": "Vite", "exclusion": "Uteslutning från avrop", "none": "Ingen sanktion"},
    # Why a procurement ended (requirement_decided, procurement_closed, procurement_ended).
    "reason": {"no_bids": "Inga anbud", "not_candidate": "Ej kandidat för krav", "no_requirement": "Inget krav",
               "awarded": "Tilldelad"},
    "resume_at": {"assess": "Utredning och bedömning", "training": "Basutbildning", "match": "Matchning"},
}
# The follow-up figures (goteborg.reports.FollowUpFigures), for the CSV export.
FIGURES = {
    "service_procurements": "Tjänsteupphandlingar", "service_with_requirement": "Tjänsteupphandlingar med krav",
    "share_with_requirement": "Andel tjänsteupphandlingar med sysselsättningskrav", "share_goal": "Mål för andelen",
    "share_by_organisation": "Andel med krav per organisation", "procurements_screened": "Screenade upphandlingar",
    "procurements_candidates": "Kandidater för krav", "requirements_by_kind": "Krav per typ",
    "people_by_outcome": "Personer per utfall", "people_by_target_group": "Personer per målgrupp och utfall",
    "people_by_gender": "Personer per kön och utfall", "people_by_district": "Personer per stadsdel och utfall",
    "contracts": "Avtal", "lead_time_days_by_phase": "Ledtid per fas (dagar)",
    "dropout_by_phase": "Avbrott per fas", "socio_economic_value_sek": "Uppskattat samhällsekonomiskt värde (kr)",
    "socio_economic_values": "Samhällsekonomiskt värde per utfall (kr)",
    "certificates_issued": "Intyg till deltagare",
    "employment_after_placement": "Anställning efter praktik eller trainee",
    "participants_released": "Deltagare släppta när upphandlingen avslutades tidigt",
    "bidders_released": "Anbudsgivare släppta när upphandlingen avslutades tidigt",
    "reserved_contracts": "Reserverade kontrakt (minst 30 % ur målgrupperna)",
    "dialogue_follow_up": "Uppföljning av dialogkrav",
    "placements_by_district": "Placeringar per stadsdel mot fördelningsnyckeln",
}

LABELS = {"status": STATUSES, "process": PROCESSES, "stall": STALL_REASONS, "message": MESSAGE_STATUSES,
          "role": ROLES, "task_state": TASK_STATES, "message_name": MESSAGES, "audit": AUDIT_ACTIONS,
          "phase": FOLLOW_UP_PHASES, "figure": FIGURES}


def status_label(code: str | None, kind: str = "status") -> str:
    found = LABELS[kind].get(code or "")
    if found is None and kind == "process" and code:
        return _deployed_process_names().get(code, code)
    return found if found is not None else (code or "")


def _deployed_process_names() -> dict[str, str]:
    """A process the model's labels do not know (an owner's new one, or one renamed) is named as
    its diagram names it, read once per request."""
    if not has_request_context():
        return {}
    if "process_names" not in g:
        g.process_names = engine().queries.process_names()
    return g.process_names


# --- values the Swedish way -------------------------------------------------------------------
NBSP = "\u00a0"
ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def number(value, decimals: int = 2, grouped: bool = True) -> str:
    """A number the Swedish way: "12 345,5" (no-break space between thousands, decimal comma);
    four digits stay together ("2003", "1234,5"), as Swedish writing (and a year) has them."""
    if value is None or isinstance(value, bool):
        return yes_no(value) if isinstance(value, bool) else ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    grouped = grouped and abs(value) >= 10_000
    return text.replace(",", NBSP if grouped else "").replace(".", ",")


def percent(share, decimals: int = 0) -> str:
    """A share (0..1) as a percentage: "33 %"."""
    return "" if share is None else f"{number(round(share * 100, decimals), decimals)}{NBSP}%"


def yes_no(value) -> str:
    return {True: "Ja", False: "Nej"}.get(value, "") if isinstance(value, bool) else ""


def plain(value) -> str:
    """A simple value as text: yes/no, a number, a date; text as it is."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    found = ISO_DATETIME.match(text)
    return f"{found.group(1)} {found.group(2)}" if found else text


# --- a case's data, labelled by the deployed forms -------------------------------------------
@dataclass
class Vocabulary:
    """The Swedish titles of the forms' fields and the labels of their choices, by field name."""

    titles: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_schema(self, schema: dict) -> None:
        stack = [schema]
        while stack:
            node = stack.pop(0)
            for name, prop in (node.get("properties") or {}).items():
                if not isinstance(prop, dict):
                    continue
                if prop.get("title"):
                    self.titles.setdefault(name, prop["title"])
                if isinstance(prop.get("enum"), list):
                    labels = prop.get("x-kedja-labels") or []
                    for position, value in enumerate(prop["enum"]):
                        if position < len(labels) and isinstance(value, str | int):
                            self.choices.setdefault(name, {}).setdefault(str(value), str(labels[position]))
                stack.append(prop)
            if isinstance(node.get("items"), dict):
                stack.append(node["items"])

    def key(self, name: str) -> str:
        """The Swedish label of a data key (the field's title in the forms, else the table)."""
        return KEYS.get(name) or self.titles.get(name) or name

    def value(self, name: str | None, value) -> str:
        """A value of key `name` in Swedish: a choice's label, yes/no, a number, a date, a list."""
        if isinstance(value, str | int) and not isinstance(value, bool):
            label = VALUES.get(name or "", {}).get(str(value)) or self.choices.get(name or "", {}).get(str(value))
            if label:
                return label
        if isinstance(value, list):
            if all(not isinstance(item, dict | list) for item in value):
                return ", ".join(self.value(name, item) for item in value) or "–"
            return f"{len(value)} st"
        if isinstance(value, dict):
            return "; ".join(f"{self.key(k)}: {self.value(k, v)}" for k, v in value.items())
        return plain(value)

    def pairs(self, data: dict, limit: int = 60) -> list[tuple[str, str]]:
        """(label, value) of a case's data, in the order of the labels; internal keys left out."""
        shown = [(self.key(key), self.value(key, value)) for key, value in data.items()
                 if not key.startswith("_") and value not in (None, "", [], {})]
        return sorted(shown, key=lambda pair: pair[0].casefold())[:limit]


def vocabulary() -> Vocabulary:
    """The vocabulary of the deployed forms (and the initial ones), kept while no form changes."""
    if "kedja_vocabulary" in g:
        return g.kedja_vocabulary
    store = current_app.extensions["kedja"].forms
    latest = store.latest()
    signature = tuple((form.key, form.version) for form in latest)
    cached = current_app.extensions.get("kedja_vocabulary")
    if cached is None or cached[0] != signature:
        words = Vocabulary()
        for form in latest:
            words.add_schema(store.schema(form.key, form.version) or {})
        for key in sorted(store.keys() - {form.key for form in latest}):
            words.add_schema(store.initial_schema(key) or {})
        cached = (signature, words)
        current_app.extensions["kedja_vocabulary"] = cached
    g.kedja_vocabulary = cached[1]
    return cached[1]


# --- diagram elements by their names -----------------------------------------------------------
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KEDJA_PHASE = "{https://kedja.goteborg.se/bpmn/1.0}phase"


@dataclass
class Diagram:
    """What pages need of a process version's diagram: its elements' names, and the phases of its
    user tasks (kedja:phase) in the order the diagram lists them."""

    names: dict[str, str] = field(default_factory=dict)
    phase_of: dict[str, str] = field(default_factory=dict)
    phases: list[str] = field(default_factory=list)


def diagram(definition_id: int | None) -> Diagram:
    """Read once per process version (versions never change), per app (each has its database)."""
    if definition_id is None:
        return Diagram()
    cache = current_app.extensions.setdefault("kedja_diagrams", {})
    if definition_id not in cache:
        xml = current_app.extensions["kedja"].queries.definition(definition_id).bpmn_xml
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            root = etree.fromstring(xml.encode("utf-8"), parser)
        except etree.XMLSyntaxError:
            root = None
        found = Diagram()
        for element in (root.iter() if root is not None else ()):
            tag = element.tag if isinstance(element.tag, str) else ""
            if not tag.startswith(f"{{{BPMN_NS}}}") or not element.get("id"):
                continue
            if element.get("name") and not tag.endswith(("}message", "}correlationProperty")):
                found.names[element.get("id")] = " ".join(element.get("name").split())
            if phase := element.get(KEDJA_PHASE):
                found.phase_of[element.get("id")] = phase
                if phase not in found.phases:
                    found.phases.append(phase)
        cache[definition_id] = found
    return cache[definition_id]


def element_names(definition_id: int | None) -> dict[str, str]:
    """The names of a process version's elements, by id."""
    return diagram(definition_id).names


def element_label(element_id: str | None, definition_id: int | None) -> str:
    """An element by its name in the diagram (a nameless one as 'ett steg utan namn')."""
    if not element_id:
        return "okänt steg"
    return element_names(definition_id).get(element_id.split("#")[0]) or "ett steg utan namn"


def message_label(name: str | None) -> str:
    return MESSAGES.get(name or "", name or "")


def correlation(values: dict) -> str:
    """A message's correlation ("Upphandling UPH-1, Deltagare P-1")."""
    words = vocabulary()
    return ", ".join(f"{words.key(key)} {words.value(key, value)}" for key, value in (values or {}).items())


# The data keys the figures count by.
FIGURE_KEYS = ("outcome", "target_group", "gender", "requirement_kind", "sanction")


def figure_labels() -> dict[str, dict[str, str]]:
    """The Swedish names of the follow-up figures' keys: outcomes, target groups, genders and kinds
    of requirement (from the forms' choice labels), phases and the figures' own keys."""
    words = vocabulary()
    labels = {key: {**words.choices.get(key, {}), **VALUES.get(key, {})} for key in FIGURE_KEYS}
    labels.update(phase=dict(FOLLOW_UP_PHASES), key=dict(KEYS), figure=dict(FIGURES))
    return labels


def audit_detail(entry, definition_id: int | None = None) -> str:
    """What an administrator's action was about, in Swedish (a reset's task by its name, a
    migration's versions); ids and the engine's technical texts are left out."""
    detail = entry.detail or ""
    if entry.action == "reset":
        return element_label(detail, definition_id) if definition_id else ""
    if entry.action == "migrate":
        return detail.replace("->", "→")
    return ""


def stall_detail(detail: dict) -> str:
    """A stall finding's detail in Swedish (the engine's technical error text left out: the case
    page and the instance list show it)."""
    detail = detail or {}
    parts = []
    if detail.get("message") and "correlation" in detail:
        parts.append(f"meddelandet {message_label(detail['message'])}")
        if detail["correlation"]:
            parts.append(correlation(detail["correlation"]))
    if detail.get("name"):
        parts.append(detail["name"] + (f" hos {detail['organisation']}" if detail.get("organisation") else ""))
    if detail.get("due_at"):
        try:
            due = datetime.fromisoformat(str(detail["due_at"])).astimezone(timezone.utc).replace(tzinfo=None)
            parts.append(f"förföll {current_app.jinja_env.filters['when'](due)}")
        except ValueError:
            pass
    return ", ".join(parts)


def register(app: Flask) -> None:
    """The Jinja filters every page uses for Swedish labels and values."""
    app.jinja_env.filters.update(
        number=number, percent=percent, yes_no=yes_no, plain=plain,
        key_label=lambda name: vocabulary().key(name),
        value_label=lambda value, name=None: vocabulary().value(name, value),
        element=element_label, message_label=message_label, correlation=correlation,
        phase_label=lambda code: FOLLOW_UP_PHASES.get(code, code))
    app.jinja_env.globals.update(audit_detail=audit_detail, stall_detail=stall_detail)
