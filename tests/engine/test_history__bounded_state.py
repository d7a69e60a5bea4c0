"""A long-lived instance's saved state stays small: completed history far behind what is live
is cut off (it is kept in the tasks projection), and the instance goes on working."""
from __future__ import annotations

import pytest

from engine.commands import Actor, CompleteTask, ResetInstance, StartInstance
from engine.errors import InvalidState
from engine.models import Instance
from engine.workflow import deserialize

from ..helpers import deploy

ACTOR = Actor("u", "Org")


def _saved_tasks(engine, instance_id) -> int:
    with engine.session_factory() as session:
        instance = session.get(Instance, instance_id)
        from engine.repository import Repository

        workflow = deserialize(instance.state, engine.processes.get(instance.definition_id, Repository(session)))
        return len(workflow.tasks)


def _open(engine, instance_id, element=None):
    tasks = engine.queries.instance(instance_id)["open_tasks"]
    return next(t for t in tasks if element is None or t.element_id == element)


def test_a_loop_run_many_times_keeps_a_small_state_and_its_whole_history(make_engine):
    engine = make_engine(history_levels=10)
    deploy(engine, "loop.bpmn")
    started = engine.execute(StartInstance("loop", {"stop": False}))
    sizes = []
    for round_ in range(300):
        engine.execute(CompleteTask(_open(engine, started.id).id, {"stop": False, "round": round_}, ACTOR))
        sizes.append(_saved_tasks(engine, started.id))
    assert max(sizes[100:]) <= 3 * 10 + 10  # bounded, not growing with the 300 rounds
    assert sizes[-1] < sizes[25] * 2
    view = engine.queries.instance(started.id)
    assert len(view["history"]) == 300  # every completion is still in the history
    assert engine.queries.instance_data(started.id)["round"] == 299

    engine.execute(ResetInstance(started.id, "work", ACTOR))  # a recent task can be reset to
    engine.execute(CompleteTask(_open(engine, started.id).id, {"stop": True}, ACTOR))
    assert engine.queries.instance(started.id)["instance"].status == "completed"


def test_a_branch_that_loops_long_still_meets_its_parallel_branch_at_the_join(make_engine):
    engine = make_engine(history_levels=5)
    deploy(engine, "parallel_loop.bpmn")
    started = engine.execute(StartInstance("parallel_loop", {"stop": False}))
    for _ in range(120):
        engine.execute(CompleteTask(_open(engine, started.id, "report").id, {"stop": False}, ACTOR))
    assert _saved_tasks(engine, started.id) < 60
    engine.execute(CompleteTask(_open(engine, started.id, "decide").id, {}, ACTOR))
    for _ in range(60):
        engine.execute(CompleteTask(_open(engine, started.id, "report").id, {"stop": False}, ACTOR))
    engine.execute(CompleteTask(_open(engine, started.id, "report").id, {"stop": True}, ACTOR))
    assert [t.element_id for t in engine.queries.instance(started.id)["open_tasks"]] == ["close"]
    engine.execute(CompleteTask(_open(engine, started.id, "close").id, {}, ACTOR))
    assert engine.queries.instance(started.id)["instance"].status == "completed"


def test_no_cut_when_history_is_kept_whole(make_engine):
    engine = make_engine(history_levels=0)
    deploy(engine, "loop.bpmn")
    started = engine.execute(StartInstance("loop", {"stop": False}))
    for _ in range(60):
        engine.execute(CompleteTask(_open(engine, started.id).id, {"stop": False}, ACTOR))
    assert _saved_tasks(engine, started.id) > 120
    with pytest.raises(InvalidState):
        engine.execute(ResetInstance(started.id, "nowhere", ACTOR))
