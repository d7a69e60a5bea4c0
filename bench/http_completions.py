"""Task completions per second over HTTP on PostgreSQL: `kedja serve` on loopback (one process,
or --servers N processes on one database, the clients spread over them), 8 client threads
completing open tasks (each completion runs a step of its instance). Goal >= 250/s.

    python bench/http_completions.py [--servers 2 | --workers 2] [--database postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

import requests
from _common import ROOT, deploy, fresh_engine, machine

from engine.accounts import add_organisation, add_user
from engine.commands import StartInstance

TASKS, CLIENTS = 1200, 8


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each `kedja serve`")
    args = parser.parse_args()
    database = args.database
    engine, done = fresh_engine(database)
    deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
    with engine.uow() as uow:
        add_organisation(uow, "Higab")
        uow.repo.flush()
        token = add_user(uow, "bench", "Higab", ["caseworker"], engine.now())
        uow.commit()
    for n in range(TASKS):
        engine.execute(StartInstance("requester", {"order_id": f"O-{n}", "amount": 1, "buyer_organisation": "Higab"}))
    tasks = [t.id for t in engine.queries.inbox("Higab", per_page=200, page=1).items]
    page = 2
    while len(tasks) < TASKS:
        tasks += [t.id for t in engine.queries.inbox("Higab", per_page=200, page=page).items]
        page += 1
    env = {**os.environ, "KEDJA_DATABASE_URL": database, "KEDJA_DATABASE_SCHEMA": engine.config.database_schema,
           "KEDJA_PROCESSES_DIR": "/nonexistent"}
    servers, bases = [], []
    for _ in range(args.servers):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", "8",
                   "--workers", str(args.workers)]
        servers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        bases.append(f"http://127.0.0.1:{port}/api/v1")
    for base in bases:
        for _ in range(300):
            try:
                if requests.get(f"{base}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
    lock, ok, failed = threading.Lock(), [0], [0]

    def client(share: list[str], base: str):
        session = requests.Session()
        for task_id in share:
            response = session.post(f"{base}/tasks/{task_id}/complete", json={"data": {}}, timeout=30,
                                    headers={"Authorization": f"Bearer {token}"})
            with lock:
                (ok if response.status_code == 200 else failed)[0] += 1

    threads = [threading.Thread(target=client, args=(tasks[i::CLIENTS], bases[i % len(bases)]))
               for i in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for server in servers:
        server.terminate()
        server.wait(10)
    done()
    print(f"machine: {machine()}; database: {database.split('@')[-1]}")
    print(f"{ok[0]} completions over HTTP ({failed[0]} failed) by {CLIENTS} clients on {len(servers)} server "
          f"process(es) of {args.workers} worker(s) in {elapsed:.1f} s: "
          f"{ok[0] / elapsed:.0f}/s (goal >= 250/s); each also routes a message that starts an instance")


if __name__ == "__main__":
    main()
