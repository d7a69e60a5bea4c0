"""Moving every running case of a version at once: a dry run says which cases can move and
why the others cannot, and writes nothing; the real run moves those that can, case by case."""
import re

from engine.commands import Actor, CompleteTask, Deploy, MigrateVersion, StartInstance

from ..helpers import scripted_bpmn

OWNER = Actor("owner", "Upphandlingsbolaget")
CASEWORKER = Actor("karin", "Arbetsförmedlingen")


def _without_the_notice() -> str:
    """Version 2: no message after a large total; every case goes straight to review."""
    xml = re.sub(r'<bpmn:intermediateThrowEvent id="notify".*?</bpmn:intermediateThrowEvent>', "", scripted_bpmn(),
                 flags=re.S)
    xml = xml.replace("<bpmn:flowNodeRef>notify</bpmn:flowNodeRef>", "")
    xml = re.sub(r'<bpmn:sequenceFlow id="s4".*?</bpmn:sequenceFlow>', "", xml, flags=re.S)
    return re.sub(r'<bpmn:sequenceFlow id="s5"[^>]*/>', "", xml)


def _at_review(engine, key: str, amount: int) -> str:
    started = engine.execute(StartInstance("scripted", {"case_id": key}, business_key=key)).id
    enter = engine.queries.instance(started)["open_tasks"][0]
    engine.execute(CompleteTask(enter.id, {"amount": amount}, CASEWORKER))
    return started


def test_a_dry_run_lists_who_can_move_and_the_run_moves_them(engine):
    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn()),)))
    notified = _at_review(engine, "K-1", 70)  # total 140: went through the notice
    small = [_at_review(engine, key, 10) for key in ("K-2", "K-3")]  # total 20: straight to review
    [v2] = engine.execute(Deploy((("scripted.bpmn", _without_the_notice()),)))
    v1_definition = engine.queries.instance(notified)["instance"].definition_id

    dry = engine.execute(MigrateVersion("scripted", 1, v2.version, dry_run=True, actor=OWNER))
    by_key = {row["business_key"]: row for row in dry}
    assert (by_key["K-2"]["ok"], by_key["K-3"]["ok"]) == (True, True)
    assert not by_key["K-1"]["ok"] and "notify" in by_key["K-1"]["reason"]
    assert {engine.queries.instance(row["instance_id"])["instance"].definition_id for row in dry} == {
        v1_definition}  # a dry run moves nobody

    done = engine.execute(MigrateVersion("scripted", 1, v2.version, dry_run=False, actor=OWNER))
    assert {row["business_key"]: row["ok"] for row in done} == {"K-1": False, "K-2": True, "K-3": True}
    for instance_id in small:
        assert engine.queries.instance(instance_id)["instance"].definition_id == v2.definition_id
    assert engine.queries.instance(notified)["instance"].definition_id == v1_definition
    again = engine.execute(MigrateVersion("scripted", 1, v2.version, actor=OWNER))
    assert [row["business_key"] for row in again] == ["K-1"]  # only the one left behind
