"""Element roles come from the diagrams' own attributes (kedja:modelRole, kedja:followUpPhase),
not from element ids: renaming an element and keeping its attribute keeps what the Göteborg
model finds by it; a new version that drops a role the model requires is refused."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from engine.definitions import checksum_of, parse_file, read_xml
from engine.requirements import Requirement, installed_requirements, requirement_problems
from engine.roles import roles_in
from goteborg.roles import BID, CANDIDATE_PROPOSAL, PARTICIPANT, PHASES, REQUIREMENTS, Roles

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
TARGET_GROUP = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")
SUPPLIER = (PROCESSES / "supplier.bpmn").read_text(encoding="utf-8")


def rename(xml: str, old: str, new: str) -> str:
    """The element `old` renamed `new` everywhere the file refers to it."""
    xml = re.sub(rf'(id|sourceRef|targetRef|bpmnElement|attachedToRef|calledElement)="{old}"', rf'\1="{new}"', xml)
    return xml.replace(f">{old}</bpmn:flowNodeRef>", f">{new}</bpmn:flowNodeRef>")


def roles(xml: str, key: str, version: int | None = None):
    return replace(roles_in(read_xml(xml, 1 << 30))[key], version=version)


def row(key: str, version: int, xml: str):
    return SimpleNamespace(key=key, version=version, checksum=checksum_of(xml), bpmn_xml=xml)


def refusals(key: str, old: str, new: str, requirements=REQUIREMENTS) -> list[str]:
    parsed = {f"{key}.bpmn": parse_file(new, 1 << 30, f"{key}.bpmn")}
    return [p.message for p in requirement_problems(requirements, parsed, [row(key, 3, old)])]


def test_the_model_declares_its_roles_in_the_diagrams():
    target_group = roles(TARGET_GROUP, "target_group")
    assert target_group.process == {PARTICIPANT}
    assert set(target_group.phases.values()) == set(PHASES)
    assert target_group.phases["match"] == "matchning"
    assert target_group.messages_with(CANDIDATE_PROPOSAL) == {"candidate_proposal"}
    assert roles(SUPPLIER, "supplier").messages_with(CANDIDATE_PROPOSAL) == {"candidate_proposal"}
    assert roles(SUPPLIER, "supplier").messages_with(BID) == {"bid_submitted"}


def test_a_renamed_task_keeps_its_phase_and_a_renamed_process_its_role():
    renamed = rename(rename(TARGET_GROUP, "match", "matcha_mot_vakans"), "target_group", "deltagare")
    parse_file(renamed, 1 << 30)  # still a valid diagram
    declared = roles(renamed, "deltagare", version=1)
    assert declared.phases["matcha_mot_vakans"] == "matchning" and "match" not in declared.phases
    model = Roles([roles(TARGET_GROUP, "target_group", version=1), declared])
    assert model.processes(PARTICIPANT) == {"target_group", "deltagare"}  # access rules find both
    assert model.phases("deltagare")["matcha_mot_vakans"] == "matchning"  # the figures count it
    assert model.messages(CANDIDATE_PROPOSAL) == {"candidate_proposal"}


def test_a_new_version_that_renames_but_keeps_the_attributes_is_accepted():
    assert refusals("target_group", TARGET_GROUP, rename(TARGET_GROUP, "match", "matcha_mot_vakans")) == []


def test_a_new_version_that_drops_the_phases_is_refused_with_the_reason():
    without = re.sub(r' kedja:followUpPhase="[^"]*"', "", TARGET_GROUP)
    found = refusals("target_group", TARGET_GROUP, without)
    assert len(found) == len(PHASES)
    assert ('the new version no longer declares a user task with kedja:followUpPhase="matchning", which version 3 '
            "declares: the key figures count lead time and dropouts per phase (keep the attribute when you rename "
            "or replace the element)") in found


def test_a_new_version_that_drops_the_candidate_proposal_role_or_the_participant_role_is_refused():
    without_message_role = SUPPLIER.replace(' kedja:modelRole="candidate_proposal"', "")
    [found] = refusals("supplier", SUPPLIER, without_message_role)
    assert 'a message with kedja:modelRole="candidate_proposal"' in found
    assert "the matching form offers the vacancies that wait for it" in found
    [found] = refusals("target_group", TARGET_GROUP, TARGET_GROUP.replace(' kedja:modelRole="participant"', ""))
    assert 'kedja:modelRole="participant" on the process' in found and "personal data" in found


def test_nothing_is_required_without_requirements_of_a_first_version_or_of_an_undeclared_one():
    without = re.sub(r' kedja:(followUpPhase|modelRole)="[^"]*"', "", TARGET_GROUP)
    assert refusals("target_group", TARGET_GROUP, without, requirements=()) == []
    parsed = {"t.bpmn": parse_file(without, 1 << 30, "t.bpmn")}
    assert requirement_problems(REQUIREMENTS, parsed, []) == []  # first version
    assert refusals("target_group", without, without) == []  # its latest declared nothing


def test_a_version_written_before_roles_existed_is_read_as_the_initial_model_declared_it():
    without = re.sub(r' kedja:(followUpPhase|modelRole)="[^"]*"', "", TARGET_GROUP)
    model = Roles([roles(without, "target_group", version=1)])
    assert model.processes(PARTICIPANT) == {"target_group"}
    assert model.phases("target_group") == roles(TARGET_GROUP, "target_group").phases


def test_the_installed_model_package_gives_the_engine_its_requirements():
    assert set(REQUIREMENTS) <= set(installed_requirements())
    assert Requirement("phase", "matchning", "x").met_by(roles(TARGET_GROUP, "target_group"))
