"""A long-lived instance's saved state stays small: completed history far behind what is live
is cut off (it is kept in the tasks projection), and the instance goes on working."""
from __future__ import annotations

from engine.commands import Actor, CompleteTask, ResetInstance, StartInstance
from engine.models import Instance
from engine.repository import Repository
from engine.spiff.workflow import deserialize

from ..helpers import deploy

ACTOR = Actor("u", "Org")


def _saved_tasks(engine, instance_id) -> int:
    with engine.session_factory() as session:
        instance = session.get(Instance, instance_id)
        workflow = deserialize(instance.state, engine.processes.get(instance.definition_id, Repository(session)))
        return len(workflow.tasks)


def _looped(engine, fixture: str, process: str, rounds: int, element: str) -> str:
    """An instance of `process` whose `element` was completed `rounds` times (looping on)."""
    deploy(engine, fixture)
    started = engine.execute(StartInstance(process, {"stop": False}))
    for _ in range(rounds):
        engine.execute(CompleteTask(_open(engine, started.id, element).id, {"stop": False}, ACTOR))
    return started.id


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
    instance_id = _looped(engine, "parallel_loop.bpmn", "parallel_loop", 120, "report")
    assert _saved_tasks(engine, instance_id) < 60
    engine.execute(CompleteTask(_open(engine, instance_id, "decide").id, {}, ACTOR))
    for _ in range(60):
        engine.execute(CompleteTask(_open(engine, instance_id, "report").id, {"stop": False}, ACTOR))
    engine.execute(CompleteTask(_open(engine, instance_id, "report").id, {"stop": True}, ACTOR))
    assert [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]] == ["close"]
    engine.execute(CompleteTask(_open(engine, instance_id, "close").id, {}, ACTOR))
    assert engine.queries.instance(instance_id)["instance"].status == "completed"


def test_no_cut_when_history_is_kept_whole(make_engine):
    engine = make_engine(history_levels=0)
    instance_id = _looped(engine, "loop.bpmn", "loop", 60, "work")
    assert _saved_tasks(engine, instance_id) > 120  # every pass is still in the saved tree
