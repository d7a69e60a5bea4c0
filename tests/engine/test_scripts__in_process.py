"""A diagram's script of plain assignments runs in the server, without the round trip to a
worker process; a script with anything else in it still runs in a worker."""
import pytest

from engine import script_pool
from engine.commands import Actor, CompleteTask, Deploy, StartInstance
from engine.errors import StepFailed

from ..helpers import scripted_bpmn

CASEWORKER = Actor("a", "Arbetsförmedlingen")


def _run(engine, script: str, data: dict) -> str:
    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn(script=script)),)))
    started = engine.execute(StartInstance("scripted", {"case_id": "C", "amount": 10}))
    task = engine.queries.instance(started.id)["open_tasks"][0]
    engine.execute(CompleteTask(task.id, data, CASEWORKER))  # then the script task runs
    return started.id


@pytest.fixture
def worker_runs(monkeypatch):
    """The scripts that reached a worker."""
    ran, run = [], script_pool.ScriptPool.run

    def recorded(pool, script, context, external=None):
        ran.append(script)
        return run(pool, script, context, external)

    monkeypatch.setattr(script_pool.ScriptPool, "run", recorded)
    return ran


def test_an_assignment_script_runs_in_the_server(engine, worker_runs):
    instance_id = _run(engine, "total = amount * divisor\nlabel = 'stor' if total > 100 else 'liten'", {"divisor": 20})

    assert worker_runs == []
    data = engine.queries.instance_data(instance_id)
    assert (data["total"], data["label"]) == (200, "stor")


def test_a_script_with_a_loop_runs_in_a_worker(engine, worker_runs):
    script = "total = 0\nfor i in range(amount):\n    total = total + i"
    instance_id = _run(engine, script, {})

    assert worker_runs == [script]
    assert engine.queries.instance_data(instance_id)["total"] == 45


def test_a_failing_assignment_puts_the_case_in_error_with_its_line(engine, worker_runs):
    with pytest.raises(StepFailed):
        _run(engine, "total = amount / divisor", {"divisor": 0})

    [case] = engine.queries.instances(process="scripted").items
    assert case.status == "error"
    assert case.error_message.startswith("Skriptet i 'Beräkna' (compute) misslyckades på rad 1 "
                                         "(total = amount / divisor): ZeroDivisionError: division by zero")
    assert worker_runs == []
