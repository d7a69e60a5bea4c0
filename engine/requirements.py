"""What a model package relies on in the deployed diagrams, checked at every deploy.

A model package (the Göteborg model, `goteborg/`) lists its `Requirement`s: the element roles
(engine/roles.py) its reports, access rules and choices find elements by. The engine knows
no model; it is given the requirements (`EngineConfig.model_requirements`; `from_env` takes
those of the installed model packages, entry point group `kedja.model`) and refuses, with the
reason, a new version of a process that no longer declares a required role its latest version
declares. Every door deploys through engine/deploying.py, which runs this check beside the
others, so the modeller, the API and `kedja deploy` refuse alike. A process deployed for the
first time, or one whose latest version declared no such role, is not held to anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from .definitions import ParsedFile
from .errors import Problem
from .roles import DeclaredRoles, roles_of_file, roles_of_row

ENTRY_POINT_GROUP = "kedja.model"
KINDS = ("process", "message", "phase")


@dataclass(frozen=True)
class Requirement:
    """A role a model package relies on: `kind` "process" (kedja:modelRole on a process),
    "message" (kedja:modelRole on a message) or "phase" (kedja:followUpPhase on a user task);
    `reason`: what of the package needs it, said when a deploy is refused."""

    kind: str
    name: str
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a requirement's kind is one of {', '.join(KINDS)}, not {self.kind!r}")

    def met_by(self, roles: DeclaredRoles) -> bool:
        if self.kind == "process":
            return self.name in roles.process
        if self.kind == "message":
            return bool(roles.messages_with(self.name))
        return self.name in roles.phases.values()

    def describe(self) -> str:
        return {"process": f'kedja:modelRole="{self.name}" on the process',
                "message": f'a message with kedja:modelRole="{self.name}"',
                "phase": f'a user task with kedja:followUpPhase="{self.name}"'}[self.kind]


def installed_requirements() -> tuple[Requirement, ...]:
    """The requirements of the installed model packages: each entry point of the group
    `kedja.model` names an object with `requirements` (a sequence of Requirement)."""
    found: list[Requirement] = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        found.extend(entry.load().requirements)
    return tuple(found)


def requirement_problems(requirements, parsed: dict[str, ParsedFile], latest) -> list[Problem]:
    """A problem for each required role a file's process drops that its latest version
    (`latest`: rows with key, version, checksum, bpmn_xml) declares."""
    if not requirements:
        return []
    latest = {row.key: row for row in latest}
    problems = []
    for filename, parsed_file in parsed.items():
        new = roles_of_file(parsed_file.checksum, parsed_file.xml)
        for key in parsed_file.models:
            if key not in latest or key not in new:
                continue
            before = roles_of_row(latest[key])
            for requirement in requirements:
                if requirement.met_by(before) and not requirement.met_by(new[key]):
                    problems.append(Problem(
                        f"the new version no longer declares {requirement.describe()}, which version "
                        f"{before.version} declares: {requirement.reason} (keep the attribute when you rename "
                        "or replace the element)", key, file=filename))
    return problems
