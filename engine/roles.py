"""Element roles: what an element is to a model package, declared in the diagram itself.

A model package (the Göteborg model, `goteborg/`) finds the elements it builds on — the
process whose cases hold a participant's data, the message a vacancy waits for, the tasks
that make up a phase of the follow-up — by attributes the diagram declares, never by element
ids, so that an owner may rename an element in the modeller and keep what the package relies
on by keeping its attribute:

- `kedja:modelRole="name ..."` on a process or a message (`bpmn:message`): the roles the
  element plays (space-separated names);
- `kedja:followUpPhase="code"` on a user task: the phase the task's time counts under.

The engine gives these names no meaning. It reads them from each deployed version (cached by
the file's checksum: versions never change), lists them (`declared_roles`), and at deploy
refuses a new version that drops one a model package requires (engine/requirements.py).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select

from .definitions import BPMN_NS, KEDJA_NS, read_xml
from .models import ProcessDefinition

MODEL_ROLE = f"{{{KEDJA_NS}}}modelRole"
FOLLOW_UP_PHASE = f"{{{KEDJA_NS}}}followUpPhase"


@dataclass(frozen=True)
class DeclaredRoles:
    """The roles one version of a process declares."""

    key: str
    version: int | None  # None: a file being checked, not deployed yet
    process: frozenset[str] = frozenset()  # kedja:modelRole on the process
    # message name -> its kedja:modelRole (the messages of the process's file)
    messages: dict[str, frozenset[str]] = field(default_factory=dict)
    # user task id -> kedja:followUpPhase (the process's own tasks and those of the processes it calls)
    phases: dict[str, str] = field(default_factory=dict)
    # False for a file that declares no role and no phase at all (written before roles existed)
    declares: bool = False

    def messages_with(self, role: str) -> set[str]:
        return {name for name, roles in self.messages.items() if role in roles}


def _user_task_phases(process: etree._Element, processes: dict[str, etree._Element]) -> dict[str, str]:
    phases: dict[str, str] = {}
    seen, frontier = set(), [process]
    while frontier:
        node = frontier.pop()
        if node.get("id") in seen:
            continue
        seen.add(node.get("id"))
        for task in node.iter(f"{{{BPMN_NS}}}userTask"):
            if phase := (task.get(FOLLOW_UP_PHASE) or "").strip():
                phases.setdefault(task.get("id"), phase)
        frontier.extend(processes[called] for activity in node.iter(f"{{{BPMN_NS}}}callActivity")
                        if (called := activity.get("calledElement")) in processes)
    return phases


def roles_in(root: etree._Element) -> dict[str, DeclaredRoles]:
    """The roles each process of a parsed file declares (version unset)."""
    messages = {m.get("name") or m.get("id"): frozenset((m.get(MODEL_ROLE) or "").split())
                for m in root.iter(f"{{{BPMN_NS}}}message")}
    processes = {p.get("id"): p for p in root.iter(f"{{{BPMN_NS}}}process")}
    declares = any(node.get(MODEL_ROLE) is not None or node.get(FOLLOW_UP_PHASE) is not None for node in root.iter())
    return {key: DeclaredRoles(key, None, frozenset((process.get(MODEL_ROLE) or "").split()),
                               {name: roles for name, roles in messages.items() if roles},
                               _user_task_phases(process, processes), declares)
            for key, process in processes.items()}


_by_checksum: dict[str, dict[str, DeclaredRoles]] = {}  # a pure function's results: files never change
_lock = threading.Lock()


def roles_of_file(checksum: str, xml: str | bytes) -> dict[str, DeclaredRoles]:
    """`roles_in` of an accepted file, parsed once per checksum."""
    with _lock:
        found = _by_checksum.get(checksum)
    if found is None:
        found = roles_in(read_xml(xml, 1 << 62))  # accepted once already: no size limit
        with _lock:
            _by_checksum[checksum] = found
    return found


def roles_of_row(row) -> DeclaredRoles:
    """The roles of a deployed version (a row with key, version, checksum, bpmn_xml)."""
    found = roles_of_file(row.checksum, row.bpmn_xml).get(row.key) or DeclaredRoles(row.key, None)
    return DeclaredRoles(found.key, row.version, found.process, found.messages, found.phases, found.declares)


def declared_roles(engine) -> list[DeclaredRoles]:
    """The roles every deployed version declares, by key and version (a file is read only the
    first time its checksum is seen)."""
    with engine.session_factory() as session:
        return declared_roles_in(session)


def processes_with(session, role: str, fallback: str) -> list[str]:
    """The keys of the processes any of whose deployed versions declares kedja:modelRole `role`;
    without any (diagrams older than roles), `fallback`, the initial model's key."""
    return sorted({roles.key for roles in declared_roles_in(session) if role in roles.process} or {fallback})


def declared_roles_in(session) -> list[DeclaredRoles]:
    """`declared_roles` in an open session."""
    columns = (ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.checksum)
    files: dict[str, dict[str, DeclaredRoles]] = {}
    found = []
    rows = session.execute(select(*columns).order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
    for row in rows:
        if row.checksum not in files:
            with _lock:
                files[row.checksum] = _by_checksum.get(row.checksum)
            if files[row.checksum] is None:
                files[row.checksum] = roles_of_file(row.checksum, session.scalar(
                    select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == row.id)))
        roles = files[row.checksum].get(row.key) or DeclaredRoles(row.key, None)
        found.append(DeclaredRoles(roles.key, row.version, roles.process, roles.messages, roles.phases,
                                   roles.declares))
    return found
