"""Cases a review found in the bounded state and the workflow cache, kept as regressions."""
from __future__ import annotations

import contextlib
import re

import pytest

from engine.commands import Actor, CompleteTask, Deploy, ResetInstance, StartInstance
from engine.errors import InvalidState

ACTOR = Actor("u", "Org")


def _bpmn(pid: str, body: str) -> str:
    ids = re.findall(r'<bpmn:(?:userTask|startEvent|endEvent|scriptTask|exclusiveGateway|parallelGateway|'
                     r'intermediateCatchEvent|intermediateThrowEvent)[^>]*id="([^"]+)"', body)
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:kedja="https://kedja.goteborg.se/bpmn/1.0" id="d" targetNamespace="x">
  <bpmn:message kedja:external="true" id="m_ping" name="ping"/>
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" kedja:role="r" kedja:organisation="'Org'">{refs}</bpmn:lane></bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>'''


def _open(engine, instance_id, *elements):
    tasks = engine.queries.instance(instance_id)["open_tasks"]
    return next((t for e in elements for t in tasks if t.element_id == e), None)


def _state(engine, instance_id):
    view = engine.queries.instance(instance_id)
    data = {k: v for k, v in engine.queries.instance_data(instance_id).items() if not k.startswith("_")}
    return view["instance"].status, sorted(t.element_id for t in view["open_tasks"]), data


# A join waiting above a predicted tail of scripts, beside a long loop.
TAIL = "".join(f'<bpmn:scriptTask id="s{i}"><bpmn:script>s{i} = 1</bpmn:script></bpmn:scriptTask>' for i in range(8))
TAIL_FLOWS = "".join(f'<bpmn:sequenceFlow id="sf{i}" sourceRef="s{i}" targetRef="s{i + 1}"/>' for i in range(7))
BRANCH = "".join(f'<bpmn:scriptTask id="x{i}"><bpmn:script>x{i} = 1</bpmn:script></bpmn:scriptTask>' for i in range(6))
BRANCH_FLOWS = "".join(f'<bpmn:sequenceFlow id="xf{i}" sourceRef="x{i}" targetRef="x{i + 1}"/>' for i in range(5))
JOIN_AFTER_LOOP = _bpmn("join_tail", f'''
<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/><bpmn:userTask kedja:formKey="review" id="decide"/>{BRANCH}
<bpmn:userTask kedja:formKey="review" id="report"/><bpmn:exclusiveGateway id="again" default="back"/><bpmn:parallelGateway id="join"/>
{TAIL}<bpmn:userTask kedja:formKey="review" id="close"/><bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="decide"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="report"/>
<bpmn:sequenceFlow id="f4" sourceRef="report" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="report"/>
<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="join"><bpmn:conditionExpression>stop</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f2x" sourceRef="decide" targetRef="x0"/>{BRANCH_FLOWS}
<bpmn:sequenceFlow id="f5" sourceRef="x5" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="s0"/>{TAIL_FLOWS}
<bpmn:sequenceFlow id="f8" sourceRef="s7" targetRef="close"/>
<bpmn:sequenceFlow id="f7" sourceRef="close" targetRef="end"/>''')


def _run_join_after_loop(engine):
    engine.execute(Deploy((("join_tail.bpmn", JOIN_AFTER_LOOP),)))
    instance_id = engine.execute(StartInstance("join_tail", {"stop": False})).id
    engine.execute(CompleteTask(_open(engine, instance_id, "decide").id, {"decided": 1}, ACTOR))
    for round_ in range(1, 31):
        engine.execute(CompleteTask(_open(engine, instance_id, "report").id, {"stop": round_ >= 30}, ACTOR))
    return _state(engine, instance_id)


@pytest.mark.parametrize("levels", [1, 2, 3, 7])
def test_a_join_waiting_above_a_predicted_tail_keeps_its_parent(make_engine, levels):
    whole = _run_join_after_loop(make_engine(history_levels=0))
    assert whole[0] == "running" and whole[1] == ["close"]
    assert _run_join_after_loop(make_engine(history_levels=levels)) == whole


LOOP = _bpmn("short_loop", '''
<bpmn:startEvent id="start"/><bpmn:userTask kedja:formKey="review" id="work"/><bpmn:exclusiveGateway id="again" default="back"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="work"/>
<bpmn:sequenceFlow id="done" sourceRef="again" targetRef="end"><bpmn:conditionExpression>stop</bpmn:conditionExpression></bpmn:sequenceFlow>''')


def test_a_reset_to_a_task_whose_history_was_cut_is_refused_not_failed(make_engine):
    engine = make_engine(history_levels=1)
    engine.execute(Deploy((("short_loop.bpmn", LOOP),)))
    instance_id = engine.execute(StartInstance("short_loop", {"stop": False})).id
    for _ in range(12):
        engine.execute(CompleteTask(_open(engine, instance_id, "work").id, {"stop": False}, ACTOR))
    with contextlib.suppress(InvalidState):  # too far back: refused, and the instance is as it was
        engine.execute(ResetInstance(instance_id, "work", ACTOR))
    assert engine.queries.instance(instance_id)["instance"].status == "running"


PING = _bpmn("ping", '''
<bpmn:startEvent id="start"/><bpmn:userTask kedja:formKey="review" id="work"/><bpmn:exclusiveGateway id="gw" default="to_catch"/>
<bpmn:intermediateThrowEvent id="send_ping"><bpmn:messageEventDefinition messageRef="m_ping"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="wait_ping"><bpmn:messageEventDefinition messageRef="m_ping"/></bpmn:intermediateCatchEvent>
<bpmn:userTask kedja:formKey="review" id="after"/><bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="gw"/>
<bpmn:sequenceFlow id="to_throw" sourceRef="gw" targetRef="send_ping"><bpmn:conditionExpression>throw</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="to_catch" sourceRef="gw" targetRef="wait_ping"/>
<bpmn:sequenceFlow id="f2" sourceRef="send_ping" targetRef="after"/>
<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
<bpmn:sequenceFlow id="f4" sourceRef="wait_ping" targetRef="end2"/>''')


def _run_ping_after_reset(engine):
    engine.execute(Deploy((("ping.bpmn", PING),)))
    instance_id = engine.execute(StartInstance("ping", {"throw": False})).id
    engine.execute(CompleteTask(_open(engine, instance_id, "work").id, {"throw": False}, ACTOR))
    engine.execute(ResetInstance(instance_id, "work", ACTOR))
    engine.execute(CompleteTask(_open(engine, instance_id, "work").id, {"throw": True}, ACTOR))
    return _state(engine, instance_id)


def test_a_cached_workflow_behaves_like_a_loaded_one_after_a_reset(make_engine):
    """A reset leaves SpiffWorkflow's index of waiting catches with an entry a load would not
    have; the cached workflow must not keep it (it made the next step fail)."""
    # What a workflow loaded from the database does (checked with the cache off): on to 'after'.
    assert _run_ping_after_reset(make_engine(workflow_cache_size=500)) == ("running", ["after"], {"throw": True})


# Branches that ended long ago: SpiffWorkflow merges their data at the end (and at joins) from
# the finished join tasks they left; a cut must keep that data.
ENDED_BRANCHES = _bpmn("ended_branches", '''
<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>
<bpmn:scriptTask id="a"><bpmn:script>from_a = {"x": 1, "list": [1]}</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end_a"/>
<bpmn:userTask kedja:formKey="review" id="report"/><bpmn:parallelGateway id="fork"/>
<bpmn:scriptTask id="note"><bpmn:script>notes = [round]</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="end_note"/>
<bpmn:exclusiveGateway id="again" default="back"/><bpmn:endEvent id="end_c"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a"/>
<bpmn:sequenceFlow id="fc" sourceRef="split" targetRef="report"/>
<bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="end_a"/>
<bpmn:sequenceFlow id="f4" sourceRef="report" targetRef="fork"/>
<bpmn:sequenceFlow id="f5" sourceRef="fork" targetRef="note"/>
<bpmn:sequenceFlow id="f6" sourceRef="note" targetRef="end_note"/>
<bpmn:sequenceFlow id="f7" sourceRef="fork" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="report"/>
<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="end_c"><bpmn:conditionExpression>stop</bpmn:conditionExpression></bpmn:sequenceFlow>''')


def _run_ended_branches(engine):
    engine.execute(Deploy((("ended_branches.bpmn", ENDED_BRANCHES),)))
    instance_id = engine.execute(StartInstance("ended_branches", {"stop": False})).id
    for round_ in range(1, 31):
        engine.execute(CompleteTask(_open(engine, instance_id, "report").id,
                                    {"stop": round_ >= 30, "round": round_}, ACTOR))
    return _state(engine, instance_id)


@pytest.mark.parametrize("levels", [1, 3, 7])
def test_data_of_branches_that_ended_long_ago_reaches_the_end(make_engine, levels):
    whole = _run_ended_branches(make_engine(history_levels=0))
    assert whole[0] == "completed" and whole[2]["from_a"] == {"x": 1, "list": [1]}
    assert _run_ended_branches(make_engine(history_levels=levels)) == whole


# A parallel gateway that is itself the entry of a loop: SpiffWorkflow looks back at its
# first pass to see which inputs can still come.
GATEWAY_LOOP = _bpmn("gateway_loop", '''
<bpmn:startEvent id="start"/><bpmn:parallelGateway id="entry"/><bpmn:userTask kedja:formKey="review" id="work"/>
<bpmn:exclusiveGateway id="again" default="back"/><bpmn:userTask kedja:formKey="review" id="close"/><bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="entry"/>
<bpmn:sequenceFlow id="f2" sourceRef="entry" targetRef="work"/>
<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="entry"/>
<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="close"><bpmn:conditionExpression>stop</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f4" sourceRef="close" targetRef="end"/>''')


def _run_gateway_loop(engine):
    engine.execute(Deploy((("gateway_loop.bpmn", GATEWAY_LOOP),)))
    instance_id = engine.execute(StartInstance("gateway_loop", {"stop": False})).id
    states = []
    for round_ in range(1, 31):
        task = _open(engine, instance_id, "work")
        if task is None:
            break
        engine.execute(CompleteTask(task.id, {"stop": round_ >= 30}, ACTOR))
        states.append(_state(engine, instance_id))
    return states


@pytest.mark.parametrize("levels", [1, 3, 7])
def test_a_parallel_gateway_that_enters_a_loop_keeps_looping(make_engine, levels):
    whole = _run_gateway_loop(make_engine(history_levels=0))
    assert len(whole) == 30 and whole[-1][1] == ["close"]
    assert _run_gateway_loop(make_engine(history_levels=levels)) == whole


# A reset to a task passed once, long before the kept window: its last pass stays in the chain.
INTRO_THEN_LOOP = _bpmn("intro_loop", '''
<bpmn:startEvent id="start"/><bpmn:userTask kedja:formKey="review" id="intro"/><bpmn:userTask kedja:formKey="review" id="work"/>
<bpmn:exclusiveGateway id="again" default="back"/><bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intro"/>
<bpmn:sequenceFlow id="f2" sourceRef="intro" targetRef="work"/>
<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="work"/>
<bpmn:sequenceFlow id="done" sourceRef="again" targetRef="end"><bpmn:conditionExpression>stop</bpmn:conditionExpression></bpmn:sequenceFlow>''')


def _run_reset_to_intro(engine):
    engine.execute(Deploy((("intro_loop.bpmn", INTRO_THEN_LOOP),)))
    instance_id = engine.execute(StartInstance("intro_loop", {"stop": False})).id
    engine.execute(CompleteTask(_open(engine, instance_id, "intro").id, {"intro_done": True}, ACTOR))
    for round_ in range(40):
        engine.execute(CompleteTask(_open(engine, instance_id, "work").id, {"stop": False, "round": round_}, ACTOR))
    engine.execute(ResetInstance(instance_id, "intro", ACTOR))
    after_reset = _state(engine, instance_id)
    engine.execute(CompleteTask(_open(engine, instance_id, "intro").id, {"intro_done": "again"}, ACTOR))
    engine.execute(CompleteTask(_open(engine, instance_id, "work").id, {"stop": True}, ACTOR))
    return after_reset, _state(engine, instance_id)


@pytest.mark.parametrize("levels", [1, 3])
def test_a_reset_reaches_a_task_passed_long_before_the_kept_window(make_engine, levels):
    whole = _run_reset_to_intro(make_engine(history_levels=0))
    assert whole[0][1] == ["intro"] and whole[1][0] == "completed"
    assert _run_reset_to_intro(make_engine(history_levels=levels)) == whole
