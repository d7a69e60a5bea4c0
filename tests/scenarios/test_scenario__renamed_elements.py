"""An owner renames elements of the model in a new version and keeps their roles
(kedja:followUpPhase, kedja:modelRole): the key figures and the chain still find them, for
the cases on the new version and those still on the old one."""
from __future__ import annotations

import re

import pytest

from engine.commands import Deploy
from goteborg.chain import chain as procurement_chain
from goteborg.reports import follow_up

from .chain import PROCESSES, Chain

AF, NORDOST = "Arbetsförmedlingen", "Samordningsförbundet Göteborg Nordost"
IDENTIFIED = {"target_group": "young", "gender": "woman", "birth_year": 2000}


def rename(xml: str, old: str, new: str) -> str:
    xml = re.sub(rf'(id|sourceRef|targetRef|bpmnElement|attachedToRef)="{old}"', rf'\1="{new}"', xml)
    return xml.replace(f">{old}</bpmn:flowNodeRef>", f">{new}</bpmn:flowNodeRef>")


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)
    chain.deploy_model()
    return chain


def participant(c: Chain, pid: str, process: str = "target_group") -> str:
    return c.start(process, pid, participant_id=pid, procurement_id="UPH-R", case_owner=AF, district="Angered",
                   coordination_association=NORDOST)


def test_renamed_tasks_keep_their_follow_up_phase_for_old_and_new_cases(chain):
    c = chain
    c.at(2026, 3, 2)
    old = participant(c, "P-OLD")  # on version 1: its tasks have the old ids
    xml = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")
    renamed = rename(rename(xml, "identify", "identifiera_deltagare"), "assess", "utred_och_bedom")
    c.engine.execute(Deploy((("target_group.bpmn", renamed),)))
    new = participant(c, "P-NEW")
    assert c.elements(new) == ["identifiera_deltagare"]
    c.at(2026, 3, 12)
    c.complete(old, "identify", AF, IDENTIFIED)
    c.complete(new, "identifiera_deltagare", AF, IDENTIFIED)

    figures = follow_up(c.engine, {}).as_dict()
    assert figures["dropout_by_phase"]["identifiering"]["entered"] == 2  # both, whatever the task's id
    assert figures["lead_time_days_by_phase"]["identifiering"] == 10.0
    assert list(figures["lead_time_days_by_phase"]) == ["identifiering", "utredning", "träning", "matchning",
                                                        "praktik_anställning", "anställning"]


def test_a_participant_process_under_a_new_key_is_in_the_chain_and_the_figures(chain):
    c = chain
    c.at(2026, 3, 2)
    procurement = c.start("procurement", "UPH-R", procurement_id="UPH-R", buyer_organisation="Higab")
    xml = (PROCESSES / "target_group.bpmn").read_text(encoding="utf-8")
    c.engine.execute(Deploy((("deltagare.bpmn", rename(xml, "target_group", "deltagare")),)))
    moved = participant(c, "P-1", process="deltagare")
    c.complete(moved, "identify", AF, IDENTIFIED)
    members = procurement_chain(c.engine, "UPH-R")
    assert [m["id"] for m in members["procurement"]] == [procurement]
    assert [(m["id"], m["process"]) for m in members["participant"]] == [(moved, "deltagare")]
    assert follow_up(c.engine, {}).as_dict()["dropout_by_phase"]["identifiering"]["entered"] == 1
