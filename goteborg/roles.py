"""The element roles the Göteborg model relies on, and where the deployed diagrams put them.

The model finds its processes, the candidate-proposal message and the follow-up phases by the
roles the diagrams declare (engine/roles.py: `kedja:modelRole`, `kedja:followUpPhase`), never
by element ids: an owner who renames an element keeps its attribute, and reports, access
rules and choices keep working. `REQUIREMENTS` tells the engine what a new version must keep
(it refuses a deploy that drops one, with the reason given here)."""
from __future__ import annotations

from engine import DeclaredRoles, Requirement, declared_roles

PROCUREMENT, SUPPLIER, PARTICIPANT = "procurement", "supplier", "participant"
CANDIDATE_PROPOSAL, BID = "candidate_proposal", "bid"
# The follow-up's phases of a participant's way to work, in order (lead time and dropouts per phase).
PHASES = ("identifiering", "utredning", "träning", "matchning", "praktik_anställning", "anställning")

# Why the model relies on each role: in English (the engine's refusal, the API and the CLI say
# it) and in Swedish (the modeller says it, api/web/problem_texts.py).
_PHASES_WHY = ("the key figures count lead time and dropouts per phase",
               "nyckeltalen räknar ledtid och avbrott per fas")
REASONS = {
    PROCUREMENT: ("the chain page and the key figures find the procurements by it",
                  "kedjesidan och nyckeltalen hittar upphandlingarna genom den"),
    SUPPLIER: ("the chain page finds the suppliers of a procurement by it",
               "kedjesidan hittar en upphandlings leverantörer genom den"),
    PARTICIPANT: ("its cases hold a participant's personal data: only the bodies that work with the participant "
                  "may read them, and every read is logged",
                  "dess ärenden har personuppgifter om en deltagare: bara de som arbetar med deltagaren får läsa "
                  "dem, och varje läsning loggas"),
    CANDIDATE_PROPOSAL: ("the matching form offers the vacancies that wait for it",
                         "matchningsformuläret erbjuder de vakanser som väntar på det"),
    BID: ("the bid form offers the procurements that wait for it (open for bids)",
          "anbudsformuläret erbjuder de upphandlingar som väntar på det (öppna för anbud)"),
    **{phase: _PHASES_WHY for phase in PHASES},
}
REQUIREMENTS = (
    *(Requirement("process", role, REASONS[role][0]) for role in (PROCUREMENT, SUPPLIER, PARTICIPANT)),
    *(Requirement("message", role, REASONS[role][0]) for role in (CANDIDATE_PROPOSAL, BID)),
    *(Requirement("phase", phase, REASONS[phase][0]) for phase in PHASES),
)
SWEDISH_REASONS = dict(REASONS.values())

# Versions deployed before the diagrams declared roles (a file with no kedja:modelRole and no
# kedja:followUpPhase at all) are read as the initial model declared them then, so that a
# database upgraded from then keeps its access rules and figures; once its owners deploy
# versions that declare roles, these are not read.
UNDECLARED = {
    "procurement": DeclaredRoles("procurement", None, frozenset({PROCUREMENT}), {"bid_submitted": frozenset({BID})}),
    "supplier": DeclaredRoles("supplier", None, frozenset({SUPPLIER}),
                              {CANDIDATE_PROPOSAL: frozenset({CANDIDATE_PROPOSAL}), "bid_submitted": frozenset({BID})}),
    "target_group": DeclaredRoles("target_group", None, frozenset({PARTICIPANT}),
                                  {CANDIDATE_PROPOSAL: frozenset({CANDIDATE_PROPOSAL})}, {
        "identify": "identifiering", "assess": "utredning", "work_ability": "utredning", "coordinate": "utredning",
        "training": "träning", "match": "matchning", "placement": "praktik_anställning",
        "certificate": "praktik_anställning", "employment": "anställning"}),
}


class Roles:
    """The roles of every deployed version of every process, as the model reads them."""

    def __init__(self, versions: list[DeclaredRoles]) -> None:
        self.versions = [version if version.declares else UNDECLARED.get(version.key, version)
                         for version in versions]

    def processes(self, role: str) -> set[str]:
        """The process keys any of whose versions plays `role` (a case keeps its version's role)."""
        return {version.key for version in self.versions if role in version.process}

    def messages(self, role: str) -> set[str]:
        """The names of the messages that play `role` in any deployed version."""
        return {name for version in self.versions for name in version.messages_with(role)}

    def phases(self, process_key: str) -> dict[str, str]:
        """user task id -> follow-up phase, over every version of the process (a renamed task's
        old id stays in the map for the cases that ran the old version; a later version wins)."""
        found: dict[str, str] = {}
        for version in self.versions:
            if version.key == process_key:
                found.update(version.phases)
        return found


def roles(engine) -> Roles:
    return Roles(declared_roles(engine))
