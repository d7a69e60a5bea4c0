"""The engine's deploy problems in Swedish, for the modeller and the form editor.

The engine (engine/definitions.py, checking.py, deployment.py, form_store.py and the sandbox's
`check_source`) says why a diagram or a form cannot be deployed in English, and the API and
the CLI keep saying so. The pages say the same in Swedish: each message the engine writes is
matched by a pattern here and said again with the names it mentions (element ids, message
names, form keys) kept as they are. A message no pattern knows (SpiffWorkflow's own checks) is
shown after "Diagrammet har ett fel här: ", so that nothing is lost."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from engine import Problem
from goteborg.roles import SWEDISH_REASONS

FALLBACK = "Diagrammet har ett fel här: {}"
SCRIPT_TASK = " (skriv en skriptuppgift i stället)"

# What the sandbox refuses in an expression or a script (engine/sandbox.py, check_source).
SANDBOX: list[tuple[str, Callable[[re.Match], str]]] = [
    (r"^'lambda' is not allowed in an expression \(write a script task\)$",
     lambda m: "'lambda' är inte tillåtet i ett uttryck" + SCRIPT_TASK),
    (r"^':=' is not allowed in an expression \(write a script task\)$",
     lambda m: "':=' är inte tillåtet i ett uttryck" + SCRIPT_TASK),
    (r"^format specifications \('\{x:\.\.\.\}'\) are not allowed in an expression$",
     lambda m: "formatangivelser ('{x:...}') är inte tillåtna i ett uttryck"),
    (r"^a comprehension may have one 'for' in an expression \(write a script task\)$",
     lambda m: "en comprehension får ha ett enda 'for' i ett uttryck" + SCRIPT_TASK),
    (r"^a comprehension inside another is not allowed in an expression \(write a script task\)$",
     lambda m: "en comprehension inuti en annan är inte tillåten i ett uttryck" + SCRIPT_TASK),
    (r"^'(.*)' is not allowed \(no names with a leading underscore\)$",
     lambda m: f"'{m[1]}' är inte tillåtet (inga namn som börjar med understreck)"),
    (r"^attribute '(.*)' is not allowed$", lambda m: f"attributet '{m[1]}' är inte tillåtet"),
    (r"^name '(.*)' is not allowed$", lambda m: f"namnet '{m[1]}' är inte tillåtet"),
    (r"^'(.*)' is not allowed$", lambda m: f"'{m[1]}' är inte tillåtet"),
    (r"^longer than (.+) characters$", lambda m: f"längre än {m[1]} tecken"),
    (r"^syntax error on line (.+?): (.*)$", lambda m: f"syntaxfel på rad {m[1]} ({m[2]})"),
    (r"^cannot be parsed: (.*)$", lambda m: f"kan inte tolkas ({m[1]})"),
]
SANDBOX_PATTERNS = [(re.compile(pattern, re.S), say) for pattern, say in SANDBOX]


def sandbox_swedish(issue: str) -> str | None:
    """One of the sandbox's refusals in Swedish (lower case, as part of a sentence); None if unknown."""
    for pattern, say in SANDBOX_PATTERNS:
        if found := pattern.match(issue):
            return say(found)
    return None


def _refused(where: str, issue: str) -> str:
    said = sandbox_swedish(issue)
    return f"{where} godtas inte: {said if said is not None else issue}."


_DECLARED = ((r'^kedja:modelRole="(.*)" on the process$', 'kedja:modelRole="{}" på processen'),
             (r'^a message with kedja:modelRole="(.*)"$', 'ett meddelande med kedja:modelRole="{}"'),
             (r'^a user task with kedja:followUpPhase="(.*)"$', 'en användaruppgift med kedja:followUpPhase="{}"'))


def _declared(what: str) -> str:
    for pattern, said in _DECLARED:
        if found := re.match(pattern, what):
            return said.format(found[1])
    return what


# Every message the engine's deploy checks write, each said in Swedish with its names kept.
PROBLEMS: list[tuple[str, Callable[[re.Match], str]]] = [
    # engine/definitions.py: reading the file
    (r"^file is (.+?) bytes; the limit is (.+)$", lambda m: f"Filen är {m[1]} byte stor; gränsen är {m[2]} byte."),
    (r"^DOCTYPE and entity declarations are not allowed \((.*)\)$",
     lambda m: f"DOCTYPE- och entitetsdeklarationer är inte tillåtna ({m[1]})."),
    (r"^not well-formed XML: (.*)$", lambda m: f"Filen är inte välformad XML: {m[1]}"),
    (r"^the file is (.+); diagrams must be UTF-8$",
     lambda m: f"Filen är kodad som {m[1]}; ett diagram måste vara UTF-8."),
    # engine/definitions.py: expressions, gateways, lanes, messages
    (r"^expression refused: (.*)$", lambda m: _refused("Uttrycket", m[1])),
    (r"^kedja:(\w+) refused: (.*)$", lambda m: _refused(f"kedja:{m[1]}", m[2])),
    (r"^an event-based gateway can wait for one timer only, not (.+?) \((.*)\)$",
     lambda m: f"En händelsestyrd grind kan vänta på en enda timer, inte {m[1]} ({m[2]})."),
    (r"^a join inside a loop is not supported",
     lambda m: "En sammanslagning inuti en loop stöds inte: SpiffWorkflow skulle räkna med en gren som kom "
               "fram vid ett tidigare varv, så att sammanslagningen går vidare för tidigt. Lägg delningen och "
               "sammanslagningen i en delprocess inuti loopen (varje varv får då en egen)."),
    (r"^kedja:startableBy names unknown roles (.+?) \(use (.*)\)$",
     lambda m: f"kedja:startableBy nämner okända roller: {m[1]} (använd {m[2]})."),
    (r"^user task is in no lane; every user task needs a responsible body$",
     lambda m: "Användaruppgiften ligger inte i någon bana; varje användaruppgift behöver en ansvarig "
               "(en bana med roll och organisation)."),
    (r"^lane '(.*)' needs kedja:role and kedja:organisation$",
     lambda m: f"Banan '{m[1]}' behöver kedja:role och kedja:organisation."),
    (r"^message event without a known messageRef$",
     lambda m: "Meddelandehändelsen saknar ett känt meddelande (messageRef)."),
    (r"^no executable process in the file$", lambda m: "Filen har ingen körbar process."),
    (r"^message '(.*)' is thrown but nothing in the set catches it$",
     lambda m: f"Meddelandet '{m[1]}' skickas, men ingen process tar emot det."),
    (r"^message '(.*)' is caught but nothing in the set throws it",
     lambda m: f"Meddelandet '{m[1]}' tas emot, men ingen process skickar det (markera meddelandet "
               'kedja:external="true" om ett annat system skickar det).'),
    (r"^message '(.*)' correlates on (.*) here but on (.*) at (.*) \((.*)\)$",
     lambda m: f"Meddelandet '{m[1]}' kopplas på {m[2]} här men på {m[3]} vid {m[4]} ({m[5]})."),
    # engine/requirements.py: what the model package relies on
    (r"^the new version no longer declares (.+?), which version (.+?) declares: (.*) \(keep the attribute when you "
     r"rename or replace the element\)$",
     lambda m: f"Den nya versionen anger inte längre {_declared(m[1])}, som version {m[2]} anger: "
               f"{SWEDISH_REASONS.get(m[3], m[3])} (behåll attributet när du byter namn på eller ersätter elementet)."),
    # engine/deployment.py
    (r"^message '(.*)' already starts process '(.*)'; one message may start one process only$",
     lambda m: f"Meddelandet '{m[1]}' startar redan processen '{m[2]}'; ett meddelande får starta "
               "en enda process."),
    (r"^process '(.*)' is also defined in (.*)$", lambda m: f"Processen '{m[1]}' finns också i {m[2]}."),
    # engine/deployment.py and engine/checking.py: forms of user tasks
    (r"^user task has no kedja:formKey$",
     lambda m: "Användaruppgiften saknar formulär (kedja:formKey)."),
    (r"^kedja:formKey '(.*)' is not a form name",
     lambda m: f"kedja:formKey '{m[1]}' är inte ett formulärnamn (små bokstäver a–z, siffror och _)."),
    (r"^no deployed form '(.*)' \(make it in the form editor first\)$",
     lambda m: f"Formuläret '{m[1]}' är inte driftsatt (skapa det i formulärredigeraren först)."),
    (r"^no form schema '(.*)' in (.*)$", lambda m: f"Formuläret '{m[1]}' finns inte i {m[2]}."),
    # engine/form_store.py: forms
    (r"^a form key is a name of small letters, digits and _ \(starting with a letter\)$",
     lambda m: "Formulärets nyckel består av små bokstäver a–z, siffror och _ och börjar med en bokstav."),
    (r"^a form is a JSON object \(a JSON Schema\)$",
     lambda m: "Ett formulär är ett JSON-objekt (ett JSON Schema)."),
    (r"^the form is larger than (.+) KiB$", lambda m: f"Formuläret är större än {m[1]} KiB."),
    (r"^not a valid JSON Schema at '(.*)': (.*)$",
     lambda m: f"Inte ett giltigt JSON Schema vid '{m[1]}': {m[2]}"),
    (r'^a form has "type": "object" and its fields under "properties"$',
     lambda m: 'Ett formulär har "type": "object" och sina fält under "properties".'),
    (r"^a form has a title \(shown as the task's heading\)$",
     lambda m: "Ett formulär har en rubrik (den visas som uppgiftens rubrik)."),
    (r"^field '(.*)' has no title \(its Swedish label\)$",
     lambda m: f"Fältet '{m[1]}' saknar rubrik (dess svenska etikett)."),
]
PATTERNS = [(re.compile(pattern, re.S), say) for pattern, say in PROBLEMS]


def known(message: str) -> bool:
    """Whether a pattern here knows `message` (not only the fallback)."""
    return any(pattern.search(message) for pattern, _say in PATTERNS)


def problem_swedish(message: str) -> str:
    """A deploy problem's message in Swedish; an unknown one after the fallback's words."""
    text = (message or "").strip()
    for pattern, say in PATTERNS:
        if found := pattern.search(text):
            return say(found)
    return FALLBACK.format(text)


def problems_json(problems: Iterable[Problem]) -> list[dict]:
    """Problems as the modeller's pages show them: `message` in Swedish, `message_en` the
    engine's own words (what the API and the CLI say)."""
    return [{"element_id": p.element_id, "line": p.line, "file": p.file, "message": problem_swedish(p.message),
             "message_en": p.message} for p in problems]
