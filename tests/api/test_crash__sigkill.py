"""Crash safety: load on a real `kedja serve` over loopback, SIGKILL mid-load, restart.
Every acknowledged start, completion and message is kept; no instance is corrupted (its task
rows match its saved workflow); no message is lost or taken twice."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from engine.accounts import add_organisation, add_user
from engine.models import Instance
from engine.repository import Repository
from engine.spiff.workflow import deserialize, open_user_tasks

from ..helpers import PG_URL

ROOT = Path(__file__).resolve().parents[2]
REGISTER = {"title": "Park", "kind": "service", "estimated_value_msek": 10, "contract_start": "2026-06-01",
            "duration_months": 12, "estimated_workers": 4, "framework_agreement": False}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url, schema, port):
    env = {**os.environ, "KEDJA_DATABASE_URL": url, "KEDJA_DATABASE_SCHEMA": schema, "KEDJA_LEASE_SECONDS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the service did not start")


@pytest.mark.skipif(not PG_URL, reason="runs the service on the PostgreSQL test schema")
@pytest.mark.timeout(300)
def test_sigkill_mid_load_keeps_every_acknowledged_change(make_engine, database_url):
    url, schema = database_url
    engine = make_engine(forms_dir=None)
    with engine.uow() as uow:
        add_organisation(uow, "Higab")
        add_organisation(uow, "Upphandlingsbolaget")
        uow.repo.flush()
        higab = add_user(uow, "higab", "Higab", ["caseworker"], engine.now())
        admin = add_user(uow, "admin", "Upphandlingsbolaget", ["admin"], engine.now())
        uow.commit()
    port = _free_port()
    server = _serve(url, schema, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    acknowledged = {"started": [], "completed": [], "messages": []}
    stop = threading.Event()
    lock = threading.Lock()

    def load(worker: int):
        session = requests.Session()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                started = session.post(f"{base}/instances", timeout=5, headers={"Authorization": f"Bearer {higab}"},
                                       json={"process": "procurement", "business_key": f"W{worker}-{n}",
                                             "data": {"procurement_id": f"W{worker}-{n}",
                                                      "buyer_organisation": "Higab"}})
                if started.status_code == 201:
                    body = started.json()
                    with lock:
                        acknowledged["started"].append(body["id"])
                    task = body["open_tasks"][0]["id"]
                    done = session.post(f"{base}/tasks/{task}/complete", timeout=5, json={"data": REGISTER},
                                        headers={"Authorization": f"Bearer {higab}"})
                    if done.status_code == 200:
                        with lock:
                            acknowledged["completed"].append(task)
                message = session.post(f"{base}/messages", timeout=5, headers={"Authorization": f"Bearer {admin}"},
                                       json={"name": "requirement_decided", "message_id": f"m-{worker}-{n}",
                                             "correlation": {"procurement_id": f"none-{worker}-{n}"}})
                if message.status_code in (200, 202):
                    with lock:
                        acknowledged["messages"].append(f"m-{worker}-{n}")
            except requests.RequestException:
                time.sleep(0.05)  # the server is gone: keep knocking until told to stop

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    started_at = time.monotonic()  # load for 4 s, longer on a busy machine until some work is done
    while time.monotonic() - started_at < 60 and (
            time.monotonic() - started_at < 4 or len(acknowledged["completed"]) <= 5):
        time.sleep(0.2)
    os.kill(server.pid, signal.SIGKILL)  # mid-load
    server.wait(10)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(acknowledged["completed"]) > 5, acknowledged

    server = _serve(url, schema, port)  # restart on the same database
    try:
        for task_id in acknowledged["completed"]:
            assert engine.queries.task(task_id).state == "completed"
        for instance_id in acknowledged["started"]:
            engine.queries.instance(instance_id)  # exists
        for message_id in acknowledged["messages"]:
            assert engine.queries.message(message_id).status == "buffered"
            again = requests.post(f"{base}/messages", timeout=5, headers={"Authorization": f"Bearer {admin}"},
                                  json={"name": "requirement_decided", "message_id": message_id,
                                        "correlation": {"procurement_id": "x"}}).json()
            assert again["duplicate"] is True
        # No instance is corrupted: each saved workflow loads, and its open user tasks are the
        # task rows the inbox shows.
        with engine.session_factory() as session:
            for instance in session.query(Instance).all():
                workflow = deserialize(instance.state, engine.processes.get(instance.definition_id,
                                                                            Repository(session)))
                ready = sorted(task.task_id for task in open_user_tasks(workflow))
                rows = sorted(t.id for t in engine.queries.instance(instance.id)["open_tasks"])
                assert ready == rows, instance.id
    finally:
        server.terminate()
        server.wait(10)
