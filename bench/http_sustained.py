"""Sustained task completions over HTTP on PostgreSQL: a real `kedja serve` (spawned here on a
schema of its own, `--workers N` processes) and 16 client threads completing tasks for 60 s,
each completion throwing a message that starts or advances another instance.

The load is the order exchange of tests/fixtures (order_requester.bpmn, order_responder.bpmn):
completing a requester's "prepare" throws order_request, which STARTS a responder instance
with a "quote" task; completing that quote throws order_reply, which ADVANCES the waiting
requester (its step throws order_confirm, which advances the responder to its end). The clients
complete quote tasks when there are any and prepare tasks otherwise, so in a steady state half
the completions start an instance and half advance one (and that one a third).

Printed: completions/s, p50/p95/p99 latency of a completion's HTTP request, the server's CPU ms
per completion (utime + stime of the server's processes from /proc, PostgreSQL not included),
SQL statements and commits per completion (counted in the server by SQLAlchemy's events,
KEDJA_STATEMENT_COUNT_FILE), and message -> receiver advanced while the load runs, two ways:
from the thrower's step to the receiver's step of every message thrown in the window (their
timestamps in the database), and a probe that sends a message over HTTP (POST /messages, routed
in the request) to a waiting instance every --probe-interval seconds: its answer comes once the
receiver's step has committed. Goals: >= 250 completions/s, p95 <= 50 ms; message p95 <= 50 ms.

    python bench/http_sustained.py [--seconds 60] [--workers 1] [--clients 16] [--threads 4]
        [--database postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from _common import ROOT, deploy, fresh_engine, machine
from sqlalchemy import text

from engine.accounts import add_organisation, add_user
from engine.commands import Actor, CompleteTask, StartInstance
from engine.db import make_sql_engine

TICKS = os.sysconf("SC_CLK_TCK")
SUPPLIER = "Leverantören AB"


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"p50 {quantile(ms, 0.5):.1f} ms, p95 {quantile(ms, 0.95):.1f} ms, p99 {quantile(ms, 0.99):.1f} ms "
            f"(n={len(ms)})")


def descendants(pid: int) -> list[int]:
    """pid and every process below it (the workers, the script pool)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, in seconds."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


def postgres_pids() -> list[int]:
    """The database server's processes (every client's backends: other users' too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy() -> tuple[float, float]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def statement_counts(prefix: str) -> tuple[int, int]:
    statements = commits = 0
    for path in glob.glob(f"{prefix}.*"):
        if path.endswith(".tmp"):
            continue
        try:
            s, c = Path(path).read_text().split()
        except (OSError, ValueError):
            continue
        statements, commits = statements + int(s), commits + int(c)
    return statements, commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="`kedja serve --workers N`")
    parser.add_argument("--threads", type=int, default=4, help="`kedja serve --threads N` (per worker)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requesters", type=int, default=None,
                        help="prepared requester instances (default 70 a second of the run: up to 140 completions/s)")
    parser.add_argument("--probe-interval", type=float, default=0.2)
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        parser.error("--database must be a PostgreSQL URL")
    requesters = args.requesters or int(70 * args.seconds)
    probes = int(args.seconds / args.probe_interval) + 20

    engine, drop = fresh_engine(args.database)
    schema = engine.config.database_schema
    servers: list[subprocess.Popen] = []
    count_dir = tempfile.mkdtemp(prefix="kedja-count-")
    try:
        deploy(engine, "order_requester.bpmn", "order_responder.bpmn")
        with engine.uow() as uow:
            add_organisation(uow, "Higab")
            add_organisation(uow, SUPPLIER)
            uow.repo.flush()
            buyer = add_user(uow, "buyer", "Higab", ["caseworker"], engine.now())
            supplier = add_user(uow, "supplier", SUPPLIER, ["supplier"], engine.now())
            admin = add_user(uow, "admin", "Higab", ["admin"], engine.now())
            uow.commit()

        # The work: requesters waiting at "prepare"; the probe's requesters past it, waiting for a reply.
        began = time.perf_counter()

        def start(order_id: str) -> None:
            engine.execute(StartInstance("requester", {"order_id": order_id, "amount": 1,
                                                       "buyer_organisation": "Higab"}))

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(start, [f"P-{n}" for n in range(probes)]))
        with engine.session_factory() as session:
            probe_tasks = list(session.scalars(text(
                "SELECT id FROM tasks WHERE element_id = 'prepare' AND state = 'open'")))
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda t: engine.execute(CompleteTask(t, {}, Actor("buyer", "Higab"))), probe_tasks))
            list(pool.map(start, [f"O-{n}" for n in range(requesters)]))
        with engine.session_factory() as session:
            prepare = collections.deque(session.scalars(text(
                "SELECT id FROM tasks WHERE element_id = 'prepare' AND state = 'open' ORDER BY created_at, id")))
            seen = set(session.scalars(text("SELECT id FROM tasks WHERE element_id = 'quote'")))
        engine.dispose()
        print(f"set-up: {len(prepare)} requesters at 'prepare', {len(probe_tasks)} waiting for the probe's "
              f"messages, in {time.perf_counter() - began:.0f} s", flush=True)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "KEDJA_DATABASE_URL": args.database, "KEDJA_DATABASE_SCHEMA": schema,
               "KEDJA_PROCESSES_DIR": "/nonexistent", "KEDJA_STATEMENT_COUNT_FILE": f"{count_dir}/count"}
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", str(args.threads),
             "--workers", str(args.workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(600):
            try:
                if requests.get(f"{base}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        time.sleep(1.0)  # the workers' own start-up

        quotes: collections.deque[str] = collections.deque()
        lock = threading.Lock()
        stop = threading.Event()
        latencies: dict[str, list[float]] = {"prepare": [], "quote": []}
        failures = collections.Counter()
        probe_times: list[float] = []
        probe_failures = collections.Counter()

        def feeder() -> None:
            """New quote tasks (the responders the prepare completions started) join the work."""
            feed_engine = make_sql_engine(args.database, schema)
            try:
                while not stop.is_set():
                    with feed_engine.connect() as connection:
                        ids = list(connection.execute(text(
                            "SELECT id FROM tasks WHERE organisation = :org AND state = 'open' "
                            "AND created_at >= :since"), {"org": SUPPLIER,
                                                          "since": datetime.now(timezone.utc).replace(tzinfo=None)
                                                          - timedelta(seconds=30)}).scalars())
                    fresh = [i for i in ids if i not in seen]
                    seen.update(fresh)
                    with lock:
                        quotes.extend(fresh)
                    stop.wait(0.1)
            finally:
                feed_engine.dispose()

        def client() -> None:
            session = requests.Session()
            while not stop.is_set():
                with lock:
                    kind, task = ("quote", quotes.popleft()) if quotes else (
                        ("prepare", prepare.popleft()) if prepare else (None, None))
                if task is None:
                    stop.set()  # out of work: the run ends here (rerun with more --requesters)
                    return
                token, data = (supplier, {"price": 100}) if kind == "quote" else (buyer, {})
                t0 = time.perf_counter()
                try:
                    response = session.post(f"{base}/tasks/{task}/complete", json={"data": data}, timeout=60,
                                            headers={"Authorization": f"Bearer {token}"})
                    status = response.status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                elapsed = time.perf_counter() - t0
                with lock:
                    if status == 200:
                        latencies[kind].append(elapsed)
                    else:
                        failures[f"{kind} {status}"] += 1

        def probe() -> None:
            session = requests.Session()
            n = 0
            while not stop.wait(args.probe_interval) and n < probes:
                t0 = time.perf_counter()
                response = session.post(f"{base}/messages", timeout=60, headers={"Authorization": f"Bearer {admin}"},
                                        json={"name": "order_reply", "correlation": {"order_id": f"P-{n}"},
                                              "payload": {"price": 1}})
                elapsed = time.perf_counter() - t0
                n += 1
                if response.status_code == 200 and response.json()["status"] == "delivered":
                    probe_times.append(elapsed)
                else:
                    probe_failures[f"{response.status_code} {response.text[:80]}"] += 1

        pids = descendants(servers[0].pid)
        threads = [threading.Thread(target=feeder, daemon=True), threading.Thread(target=probe, daemon=True)]
        threads += [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
        cpu0, busy0, counts0 = cpu_seconds(pids), machine_busy(), statement_counts(f"{count_dir}/count")
        pg0, own0 = cpu_seconds(postgres_pids()), os.times()
        window_start = datetime.now(timezone.utc).replace(tzinfo=None)
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        elapsed = time.perf_counter() - t0
        for thread in threads:
            thread.join(60)
        time.sleep(0.5)  # the count files are written every 0.2 s
        cpu1, busy1, counts1 = cpu_seconds(pids), machine_busy(), statement_counts(f"{count_dir}/count")
        pg1, own1 = cpu_seconds(postgres_pids()), os.times()
        per_process = {pid: cpu1[pid] - cpu0.get(pid, 0) for pid in cpu1}
        server_cpu = sum(per_process.values())
        pg_cpu = sum(v - pg0.get(pid, 0) for pid, v in pg1.items())
        own_cpu = own1.user + own1.system - own0.user - own0.system
        window_end = datetime.now(timezone.utc).replace(tzinfo=None)
        load = os.getloadavg()

        done = len(latencies["prepare"]) + len(latencies["quote"])
        requests_made = done + len(probe_times) + sum(failures.values()) + sum(probe_failures.values())
        statements, commits = counts1[0] - counts0[0], counts1[1] - counts0[1]
        busy = 100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1])
        print(f"machine: {machine()}; {os.cpu_count()} cores busy {busy:.0f} % "
              f"during the run (load average {load[0]:.1f}); database: {args.database.split('@')[-1]}")
        print(f"kedja serve --workers {args.workers} --threads {args.threads}; {args.clients} clients; "
              f"{elapsed:.1f} s" + (" (ran out of work: use more --requesters)" if not prepare else ""))
        print(f"completions: {done} ({len(latencies['prepare'])} start a responder, {len(latencies['quote'])} "
              f"advance a requester), {sum(failures.values())} failed {dict(failures) or ''}: "
              f"{done / elapsed:.1f}/s (goal >= 250/s)")
        print(f"completion latency: {figures(latencies['prepare'] + latencies['quote'])} (goal p95 <= 50 ms); "
              f"starting: {figures(latencies['prepare'])}; advancing: {figures(latencies['quote'])}")
        print(f"server CPU: {server_cpu * 1000 / max(requests_made, 1):.2f} ms per request "
              f"({server_cpu:.1f} s; {requests_made} requests, the probe's included); by process: "
              + ", ".join(f"{v:.1f}" for v in sorted(per_process.values(), reverse=True) if v >= 0.05)
              + f" s; PostgreSQL (all its users) {pg_cpu * 1000 / max(requests_made, 1):.2f} ms per request, "
              f"this client {own_cpu * 1000 / max(requests_made, 1):.2f} ms per request")
        print(f"SQL: {statements / max(requests_made, 1):.1f} statements and {commits / max(requests_made, 1):.2f} "
              f"commits per request ({statements} and {commits}; background sweep included)")
        print(f"probe, POST /messages -> receiver advanced over HTTP: {figures(probe_times)} "
              f"{dict(probe_failures) or ''}(goal p95 <= 50 ms)")

        time.sleep(6)  # a sweep runs every 5 s: what routing after commit left is routed by now
        check = make_sql_engine(args.database, schema)
        with check.connect() as connection:
            rows = connection.execute(text(
                "SELECT m.name, EXTRACT(EPOCH FROM (d.delivered_at - m.created_at)) FROM messages m "
                "JOIN deliveries d ON d.message_id = m.id WHERE m.source_instance_id IS NOT NULL "
                "AND m.created_at BETWEEN :a AND :b"), {"a": window_start, "b": window_end}).all()
            statuses = dict(connection.execute(text(
                "SELECT status, count(*) FROM messages WHERE created_at BETWEEN :a AND :b "
                "AND source_instance_id IS NOT NULL GROUP BY status"), {"a": window_start, "b": window_end}).all())
        check.dispose()
        by_name = collections.defaultdict(list)
        for name, seconds in rows:
            by_name[name].append(float(seconds))
        print("thrown message -> receiver's step (timestamps of the thrower's and the receiver's steps): "
              f"{figures([s for v in by_name.values() for s in v])}; "
              + "; ".join(f"{name} {figures(v)}" for name, v in sorted(by_name.items())))
        print(f"messages thrown in the window, by status 6 s after: {statuses}")
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        drop()
        for path in glob.glob(f"{count_dir}/*"):
            os.remove(path)
        os.rmdir(count_dir)


if __name__ == "__main__":
    main()
