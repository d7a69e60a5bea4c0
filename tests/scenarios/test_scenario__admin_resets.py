"""An administrator can take any case of the real model back to any user task it has done:
half-way through a small city-year, every active instance is reset to each of its completed
user tasks in turn, latest first, and each time that task is open again and the case runs."""
from pathlib import Path

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from engine.commands import Actor, ResetInstance
from engine.errors import InvalidState
from engine.models import Instance
from engine.spiff import workflow as wf
from goteborg.simulation import START, Simulation, make_plan

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
ADMIN = Actor("admin")


def _done_user_tasks(engine, instance_id) -> list[str]:
    """The instance's completed user tasks, the latest first (one per element)."""
    with engine.uow() as uow:
        instance = uow.repo.instance(instance_id)
        workflow = wf.deserialize(instance.state, engine.processes.get(instance.definition_id, uow.repo))
    done = sorted((t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, UserTask)),
                  key=lambda t: t.last_state_change, reverse=True)
    return list(dict.fromkeys(t.task_spec.bpmn_id for t in done))


def test_every_case_half_way_through_a_city_year_can_be_reset_to_each_task_it_has_done(make_engine, clock):
    engine = make_engine(forms_dir=None)
    clock.set(START)
    Simulation(engine, make_plan(6, 6, seed=4), 4, PROCESSES).run(weeks=30)
    with engine.uow() as uow:
        active = {row.id: row.process_key for row in uow.session.query(Instance)
                  .filter(Instance.status.in_(("running", "waiting")))}
    assert set(active.values()) == {"procurement", "supplier", "target_group"}, "cases of every process are under way"

    resets = refused = 0
    for instance_id in active:
        tried: set[str] = set()
        while untried := [element for element in _done_user_tasks(engine, instance_id) if element not in tried]:
            element = untried[0]
            tried.add(element)
            try:
                engine.execute(ResetInstance(instance_id, element, ADMIN))
            except InvalidState:  # only a cut-off history may refuse (see engine/spiff/history.py)
                refused += 1
                continue
            view = engine.queries.instance(instance_id)
            assert element in [t.element_id for t in view["open_tasks"]], (active[instance_id], element)
            assert view["instance"].status == "running"
            resets += 1
    assert resets > 20 and refused <= resets // 10
