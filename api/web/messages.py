"""The engine's refusals in Swedish, without ids: what a person meets on a page ("the task is
already completed", "the case is paused") said in the interface's language.

The engine speaks English to the API and the logs; the pages say the same thing in Swedish. A
message is matched by its pattern; one that is not known is said by the kind of refusal, so an
English text never reaches a page."""
from __future__ import annotations

import re

from engine import ConcurrentUpdate, DeploymentRejected, Forbidden, InvalidInput, InvalidState, NotFound, StepFailed

from .labels import ROLES

CASE_STATES = {"running": "pågår", "waiting": "väntar", "completed": "är avslutat", "error": "har stoppats av ett fel",
               "suspended": "är pausat", "terminated": "är avbrutet"}
CASE_ALREADY = {"running": "Ärendet pågår redan.", "waiting": "Ärendet väntar redan.",
                "completed": "Ärendet är redan avslutat.", "error": "Ärendet har redan stoppats av ett fel.",
                "suspended": "Ärendet är redan pausat.", "terminated": "Ärendet är redan avbrutet."}
TASK_STATES = {"open": "är öppen", "completed": "är redan klar", "cancelled": "är avbruten"}
VERBS = {"suspended": "pausas", "resumed": "återupptas", "retried": "köras igen", "terminated": "avbrytas",
         "reset": "gå tillbaka", "migrated": "flyttas", "suspend": "pausas", "resume": "återupptas",
         "retry": "köras igen", "terminate": "avbrytas"}
NOT_FOUND = "Det finns inte, eller så har du inte behörighet att se det."
BY_KIND = [  # the last resort, by the kind of refusal
    (ConcurrentUpdate, "Någon annan ändrade ärendet samtidigt. Läs in sidan igen och försök på nytt."),
    (StepFailed, "Nästa steg i processen misslyckades. Ärendet syns nu för administratören."),
    (NotFound, NOT_FOUND),
    (Forbidden, "Du får inte göra det här."),
    (InvalidState, "Ärendet är inte i ett läge där det går."),
    (InvalidInput, "Uppgifterna kunde inte tas emot."),
    (DeploymentRejected, "Diagrammet kan inte driftsättas."),
]
SWEDISH = re.compile(r"[åäöÅÄÖ]|\b(är|inte|ingen|inget|och|att|det|som|har|kan|ska|finns|för|eller)\b")


def _case(state: str) -> str:
    return f"Ärendet {CASE_STATES.get(state, 'är i fel läge')}."


def _cannot(state: str, action: str) -> str:
    """A case that cannot be paused, resumed, ... because of its state (or is so already)."""
    if {"suspended": "suspended", "suspend": "suspended", "terminated": "terminated", "terminate": "terminated",
            "resumed": "running", "resume": "running"}.get(action) == state:
        return CASE_ALREADY[state]
    return f"Ärendet {CASE_STATES.get(state, 'är i fel läge')}, så det kan inte {VERBS.get(action, 'ändras')}."


def _task(state: str) -> str:
    return f"Uppgiften {TASK_STATES.get(state, 'är inte öppen')}."


def _errors(count: str) -> str:
    return "Formuläret har ett fel." if count == "1" else f"Formuläret har {count} fel."


def _roles(names: str) -> str:
    return " eller ".join(ROLES.get(name.strip(), name.strip()).lower() for name in names.split(" or "))


PATTERNS: list[tuple[re.Pattern, object]] = [(re.compile(pattern), say) for pattern, say in [
    (r"^instance \S+ is (\w+); it cannot be (\w+)", lambda m: _cannot(m[1], m[2])),
    (r"^instance \S+ is already (\w+)", lambda m: CASE_ALREADY.get(m[1], _case(m[1]))),
    (r"^instance \S+ is (\w+)$", lambda m: _case(m[1])),
    (r"^instance \S+ changed while", lambda m: "Ärendet ändrades medan steget kördes. Försök igen."),
    (r"^instance \S+ failed at ", lambda m: "Nästa steg i processen misslyckades. Ärendet syns nu för "
                                           "administratören."),
    (r"^task \S+ is already (\w+)", lambda m: {"completed": "Uppgiften är redan klar.",
                                                 "cancelled": "Uppgiften är redan avbruten."}.get(
        m[1], "Uppgiften är inte längre öppen.")),
    (r"^task \S+ is (\w+), claimed by (.+)$", lambda m: f"Uppgiften är tagen av {m[2]}." if m[1] == "open"
     else f"{_task(m[1])[:-1]} och tagen av {m[2]}."),
    (r"^task \S+ is claimed by (.+)$", lambda m: f"Uppgiften är tagen av {m[1]}."),
    (r"^task \S+ is not an open user task", lambda m: "Uppgiften är inte längre öppen."),
    (r"^task \S+ is (\w+)$", lambda m: _task(m[1])),
    (r"^task \S+ belongs to another organisation", lambda m: "Uppgiften hör till en annan organisation."),
    (r"^the form '[^']*' has (\d+) error", lambda m: _errors(m[1])),
    (r"^no completed user task '[^']*' to go back to",
     lambda m: "Ärendet har ingen avslutad uppgift där att gå tillbaka till."),
    (r"is too far back", lambda m: "Uppgiften ligger för långt tillbaka: ärendets sparade tillstånd har bara "
                                   "den senaste historiken. Välj en senare uppgift."),
    (r"^a running subprocess .* does not exist alike", lambda m: "En pågående delprocess finns inte likadan i "
                                                                 "den nya versionen."),
    (r"^no version (\d+) of ", lambda m: f"Version {m[1]} av processen finns inte."),
    (r"^the instance is on version (\d+); migrate to a newer one",
     lambda m: f"Ärendet är redan på version {m[1]}. Välj en nyare version."),
    (r"^move cases to a newer version", lambda m: "Ärenden kan bara flyttas till en nyare version."),
    (r"^this needs the role (.+)$", lambda m: f"Det här kräver rollen {_roles(m[1])}."),
    (r"^your roles may not start", lambda m: "Din roll får inte starta processen."),
    (r"^event \S+ (no longer waits|does not wait)", lambda m: "Händelsen väntar inte längre."),
    (r"^kind must be 'timer' or 'message'", lambda m: "Okänt slag av incident."),
    (r"^the clock can be moved in demo mode only", lambda m: "Klockan kan bara spolas fram i demoläge. Här går "
                                                             "den verkliga tiden."),
    (r"^move the clock forward by more than nothing", lambda m: "Ange hur långt klockan ska spolas fram."),
    (r"^move the clock by (\d+) days at most", lambda m: f"Klockan kan spolas fram högst {m[1]} dagar åt gången."),
    (r"^days and hours must be numbers", lambda m: "Ange dagar och timmar som tal som inte är negativa."),
    (r"^no \w+", lambda m: NOT_FOUND),
    (r"CSRF|csrf", lambda m: "Sidans säkerhetskod saknades eller var för gammal. Ladda om sidan och försök igen."),
]]


def swedish(error: Exception | str | None, names: dict[str, str] | None = None) -> str | None:
    """What `error` (an engine error, or its text) means, in Swedish and without ids; None for
    nothing to say. `names`: the names of the case's diagram elements, by id."""
    if error is None:
        return None
    text = str(error).strip()
    if found := re.match(r"^the new version lacks elements this instance has used or reached: (.+)$", text):
        steps = [(names or {}).get(element.strip()) for element in found[1].split(",")]
        listed = ", ".join(step for step in steps if step)
        return "Den nya versionen saknar steg som ärendet har passerat eller står vid" + (
            f": {listed}." if listed else ".")
    for pattern, say in PATTERNS:
        found = pattern.search(text)
        if found:
            return say(found)
    if text and SWEDISH.search(text):  # the engine's own Swedish (form errors, incidents)
        return text[0].upper() + text[1:]
    for kind, said in BY_KIND:
        if isinstance(error, kind):
            return said
    return None
