"""A step whose workflow is cached knows the instance's task and wait rows from its previous step
(engine/projection_rows.py). Those rows are only trusted while the instance has the version that
step wrote: once another node moved it, the next step here reads the rows again."""
from engine.commands import Actor, CompleteTask, StartInstance

from ..helpers import deploy


def _open(engine, instance_id):
    return engine.queries.instance(instance_id)["open_tasks"]


def test_a_node_whose_cached_step_is_stale_projects_from_the_rows(make_engine):
    here, there = make_engine(), make_engine()  # two nodes on one database
    deploy(here, "loop.bpmn")
    started = here.execute(StartInstance("loop", {"stop": False}))
    here.execute(CompleteTask(_open(here, started.id)[0].id, {"stop": False}, Actor("anna", "Org")))
    # The other node completes the task this node's cache still holds as open.
    there.execute(CompleteTask(_open(there, started.id)[0].id, {"stop": False}, Actor("bo", "Org")))

    here.execute(CompleteTask(_open(here, started.id)[0].id, {"stop": False}, Actor("anna", "Org")))

    case = here.queries.instance(started.id)
    assert len(case["open_tasks"]) == 1  # not the one the other node completed, nor two
    # (the frozen clock gives the tasks one creation time: the history's order is by id)
    assert sorted((t.state, t.completed_by) for t in case["history"]) == [
        ("completed", "anna"), ("completed", "anna"), ("completed", "bo")]


def test_a_cached_step_closes_its_task_and_opens_the_next(engine):
    deploy(engine, "loop.bpmn")
    started = engine.execute(StartInstance("loop", {"stop": False}))
    for round_ in range(3):
        task = _open(engine, started.id)[0]
        done = engine.execute(CompleteTask(task.id, {"stop": round_ == 2}, Actor("anna", "Org")))
        assert (done.row.state, done.row.completed_by) == ("completed", "anna")  # the answer shows it

    case = engine.queries.instance(started.id)
    assert case["open_tasks"] == [] and case["instance"].status == "completed"
    assert [t.state for t in case["history"]] == ["completed"] * 3
