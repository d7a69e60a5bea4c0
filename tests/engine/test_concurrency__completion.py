"""Two completions of one task at the same moment: exactly one wins, the other is told so."""
import threading

import pytest

from engine.commands import Actor, CompleteTask, StartInstance
from engine.errors import ConcurrentUpdate
from engine.spiff import workflow

from ..helpers import PG_URL, deploy

TIMEOUT = 30


def _race(engines, task_id, monkeypatch):
    """Both threads load the instance and run the step before either commits."""
    barrier = threading.Barrier(len(engines), timeout=TIMEOUT)
    real_complete = workflow.complete_user_task

    def complete_then_wait(*args, **kwargs):
        real_complete(*args, **kwargs)
        barrier.wait()

    monkeypatch.setattr(workflow, "complete_user_task", complete_then_wait)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(engine, username):
        try:
            engine.execute(CompleteTask(task_id, {"by": username}, Actor(username, "Higab")))
            result = "won"
        except ConcurrentUpdate:
            result = "ConcurrentUpdate"
        except Exception as err:  # anything else is a failure of the test
            result = f"unexpected {type(err).__name__}: {err}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(engine, f"user{i}")) for i, engine in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a completion hung (deadlock?)"
    return sorted(outcomes)


@pytest.mark.skipif(not PG_URL, reason="concurrency is tested against PostgreSQL (KEDJA_TEST_DATABASE_URL)")
def test_concurrent_completion_on_two_nodes_has_exactly_one_winner(make_engine, monkeypatch):
    first, second = make_engine(), make_engine()
    deploy(first, "order_requester.bpmn", "order_responder.bpmn")
    started = first.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                        "buyer_organisation": "Higab"}))
    task = first.queries.instance(started.id)["open_tasks"][0]

    assert _race([first, second], task.id, monkeypatch) == ["ConcurrentUpdate", "won"]

    done = first.queries.task(task.id)
    assert done.state == "completed"
    data = first.queries.instance_data(started.id)
    assert done.completed_by == data["by"]  # the winner's data is the one kept
    # The winner's message went out once: one responder instance, one order_request.
    assert [m.name for m in first.queries.messages().items] == ["order_request"]
    assert first.queries.instances(process="responder").total == 1


def test_stale_state_is_refused_by_the_version_check(engine, monkeypatch):
    """The same rule on any database, without threads: a step based on an old version loses."""
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    started = engine.execute(StartInstance("requester", {"order_id": "O-1", "amount": 1,
                                                         "buyer_organisation": "Higab"}))
    task = engine.queries.instance(started.id)["open_tasks"][0]
    real_complete = workflow.complete_user_task

    def bump_version_meanwhile(*args, **kwargs):
        real_complete(*args, **kwargs)
        with engine.uow() as uow:  # another transaction changes the instance first
            uow.repo.instance(started.id).business_key = "changed elsewhere"
            uow.commit()

    monkeypatch.setattr(workflow, "complete_user_task", bump_version_meanwhile)
    with pytest.raises(ConcurrentUpdate):
        engine.execute(CompleteTask(task.id, {}, Actor("anna", "Higab")))
    monkeypatch.undo()
    assert engine.queries.task(task.id).state == "open"
    assert engine.queries.messages().total == 0
    engine.execute(CompleteTask(task.id, {}, Actor("anna", "Higab")))  # a retry succeeds
    assert engine.queries.task(task.id).state == "completed"
