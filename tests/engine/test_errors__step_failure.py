"""A failing step rolls back, and the instance is put in `error` with the element and message."""
import pytest

from engine import sandbox
from engine.commands import Actor, CompleteTask, Deploy, StartInstance
from engine.errors import ConcurrentUpdate, StepFailed
from engine.spiff import workflow

from ..helpers import scripted_bpmn

AF = Actor("ali", "Arbetsförmedlingen")


def _deploy_scripted(engine, **parts):
    return engine.execute(Deploy((("scripted.bpmn", scripted_bpmn(**parts)),)))


def _start(engine, **data):
    started = engine.execute(StartInstance("scripted", {"case_id": "C-1", **data}))
    return started.id, engine.queries.instance(started.id)["open_tasks"][0]


def test_script_and_gateway_and_payload_run_in_the_sandbox(engine):
    _deploy_scripted(engine, script="total = sum([amount, amount]) + len(tags)\nlabel = f'{total} kr'")
    instance_id, task = _start(engine, amount=60, tags=["a", "b"])
    engine.execute(CompleteTask(task.id, {}, AF))

    data = engine.queries.instance_data(instance_id)
    assert (data["total"], data["label"]) == (122, "122 kr")
    [message] = engine.queries.messages().items  # total > 100: the gateway threw the message
    assert (message.name, message.status) == ("case_done", "buffered")
    assert [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]] == ["review"]


def test_failing_script_sets_error_and_rolls_the_step_back(engine):
    _deploy_scripted(engine, script="total = amount / divisor")
    instance_id, task = _start(engine, amount=60)
    version = engine.queries.instance(instance_id)["instance"].version

    with pytest.raises(StepFailed) as failed:
        engine.execute(CompleteTask(task.id, {"divisor": 0}, AF))

    assert failed.value.element_id == "compute"
    view = engine.queries.instance(instance_id)
    assert view["instance"].status == "error"
    assert view["instance"].error_element == "compute"
    assert "ZeroDivisionError" in view["instance"].error_message
    assert view["instance"].version == version + 1  # only the error was written
    assert [t.id for t in view["open_tasks"]] == [task.id]  # the completion rolled back
    assert engine.queries.task(task.id).completed_by is None
    assert engine.queries.messages().total == 0
    assert "divisor" not in engine.queries.instance_data(instance_id)


def test_failing_payload_expression_sends_nothing(engine):
    _deploy_scripted(engine, payload='{"case_id": case_id, "missing": no_such_variable}')
    instance_id, task = _start(engine, amount=80)
    with pytest.raises(StepFailed) as failed:
        engine.execute(CompleteTask(task.id, {}, AF))
    assert failed.value.element_id == "notify"
    assert engine.queries.instance(instance_id)["instance"].status == "error"
    assert engine.queries.messages().total == 0



def test_escape_that_slipped_past_deploy_is_stopped_at_run_time(engine, monkeypatch):
    """Defence in depth: were a diagram ever stored unchecked (an older rule set, a direct
    database write), the run-time check still refuses, and only the error is written."""
    monkeypatch.setattr(sandbox, "check_source", lambda source, mode="exec": [])
    _deploy_scripted(engine, script="total = ().__class__.__base__.__subclasses__()")
    monkeypatch.undo()
    sandbox._compiled.cache_clear()

    instance_id, task = _start(engine, amount=1)
    with pytest.raises(StepFailed) as failed:
        engine.execute(CompleteTask(task.id, {}, AF))
    assert failed.value.element_id == "compute"
    instance = engine.queries.instance(instance_id)["instance"]
    assert instance.status == "error"
    assert "not allowed" in instance.error_message
    assert engine.queries.task(task.id).state == "open"
    assert "total" not in engine.queries.instance_data(instance_id)


def test_a_failure_on_state_that_moved_on_is_not_recorded_as_error(engine, monkeypatch):
    """The step failed on version v while another transaction made v+1: the failure may not hold
    for the new state, so the caller is told to retry instead of the instance being put in error."""
    _deploy_scripted(engine, script="total = amount / divisor")
    instance_id, task = _start(engine, amount=60)
    real_complete = workflow.complete_user_task

    def move_on_then_fail(*args, **kwargs):
        with engine.uow() as uow:
            uow.repo.instance(instance_id).business_key = "moved on"
            uow.commit()
        real_complete(*args, **kwargs)

    monkeypatch.setattr(workflow, "complete_user_task", move_on_then_fail)
    with pytest.raises(ConcurrentUpdate):
        engine.execute(CompleteTask(task.id, {"divisor": 0}, AF))
    assert engine.queries.instance(instance_id)["instance"].status == "running"
