"""The inbox with organisations sized like a city's: a Zipf spread of 20 organisations (the
biggest holds 27.8 % of the open tasks: 278,000 of 1,000,000), plus 1,000,000 completed task
rows spread the same way. Times every sort and filter the web inbox offers (and those of
GET /api/v1/tasks) for the biggest and a middle organisation (the 10th: 2.8 %), at the query
(`engine.queries.inbox`) and over HTTP (Flask's test client, in process: the whole request
through routing, sign-in check, query, template or JSON; no sockets). Prints p50/p95 per case.
Goal: p95 <= 20 ms for every case, biggest organisation, SQLite and PostgreSQL.

    python bench/inbox_skew.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                               [--open 1000000] [--completed 1000000] [--repeat 30]

The default database is a new temporary SQLite file. The rows are loaded with the tasks'
indexes dropped (SQLite: executemany on the driver; PostgreSQL: COPY) and the indexes the
migrations made are then built again; on PostgreSQL `VACUUM ANALYZE` follows, as autovacuum
would soon do. SQLite gets no ANALYZE (the service never runs one).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import uuid
from datetime import datetime, timedelta

from _common import ROOT, fresh_engine, machine, p95
from sqlalchemy import event, insert, text

from engine.accounts import add_organisation, add_user
from engine.clock import utc_naive
from engine.commands import Deploy
from engine.models import Instance

ORGANISATIONS = 20
BIG, MIDDLE = 1, 10  # Zipf ranks: 1/H(20) = 27.8 % and 2.8 % of the tasks
MODEL = {"target_group": 0.6, "supplier": 0.3, "procurement": 0.1}  # share of the tasks by process
USERS_PER_ORGANISATION = 40  # 15 % of the open tasks are claimed, spread over these
PASSWORD = "bench-lösen-1"
COLUMNS = ("id", "instance_id", "process_key", "element_id", "name", "organisation", "state",
           "created_at", "due_at", "claimed_by", "claimed_at", "completed_by", "completed_at")


def organisation(rank: int) -> str:
    return f"org-{rank:02d}"


def user(rank: int, number: int = 0) -> str:
    return f"{organisation(rank)}-u{number}"


def model_tasks() -> dict[str, list[tuple[str, str]]]:
    """Each process of the model with its user tasks (element id, name)."""
    return {key: re.findall(r'<bpmn:userTask id="(\w+)" name="([^"]+)"',
                            (ROOT / "processes" / f"{key}.bpmn").read_text(encoding="utf-8"))
            for key in MODEL}


def rows(rng: random.Random, count: int, state: str, now: datetime, instances: dict[str, list[str]],
         tasks: dict[str, list[tuple[str, str]]]):
    weights = [1 / rank for rank in range(1, ORGANISATIONS + 1)]
    ranks = rng.choices(range(1, ORGANISATIONS + 1), weights, k=count)
    processes = rng.choices(list(MODEL), list(MODEL.values()), k=count)
    for rank, process in zip(ranks, processes, strict=True):
        element_id, name = rng.choice(tasks[process])
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        due = now + timedelta(seconds=rng.randrange(-30 * 86400, 60 * 86400)) if rng.random() < 0.7 else None
        claimed_by = claimed_at = completed_by = completed_at = None
        if state == "completed" or rng.random() < 0.15:
            claimed_by, claimed_at = user(rank, rng.randrange(USERS_PER_ORGANISATION)), created
        if state == "completed":
            completed_by, completed_at = claimed_by, created + timedelta(seconds=rng.randrange(86400 * 30))
        yield (str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.choice(instances[process]), process,
               element_id, name, organisation(rank), state, created, due, claimed_by, claimed_at,
               completed_by, completed_at)


def fill(engine, open_tasks: int, completed: int) -> None:
    rng = random.Random(15)
    now = utc_naive(engine.now())
    engine.execute(Deploy(tuple((f"{key}.bpmn", (ROOT / "processes" / f"{key}.bpmn").read_bytes())
                                for key in MODEL)))
    with engine.uow() as uow:
        for rank in range(1, ORGANISATIONS + 1):
            add_organisation(uow, organisation(rank))
        uow.repo.flush()
        for rank in (BIG, MIDDLE):
            add_user(uow, user(rank), organisation(rank), ["caseworker"], engine.now(), PASSWORD)
        uow.commit()
    tasks = model_tasks()
    instances: dict[str, list[str]] = {}
    with engine.sql_engine.begin() as connection:
        definitions = dict(connection.execute(text("SELECT key, id FROM process_definitions")).all())
        values = []
        for key, share in MODEL.items():
            instances[key] = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(int(50_000 * share))]
            values += [{"id": i, "definition_id": definitions[key], "process_key": key, "status": "running",
                        "state": b"", "business_key": f"B-{i[:8]}", "created_at": now, "last_progress_at": now,
                        "version": 1} for i in instances[key]]
        connection.execute(insert(Instance), values)
    postgres = engine.sql_engine.dialect.name == "postgresql"
    with engine.sql_engine.begin() as connection:  # load without the indexes, then build them again
        if postgres:
            indexes = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks' "
                                              "AND schemaname = current_schema() AND indexname <> 'tasks_pkey'")).all()
        else:
            indexes = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                              "AND tbl_name = 'tasks' AND sql IS NOT NULL")).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    raw = engine.sql_engine.raw_connection()
    try:
        cursor = raw.cursor()
        for state, count in (("open", open_tasks), ("completed", completed)):
            generated = rows(rng, count, state, now, instances, tasks)
            if postgres:
                with cursor.copy(f"COPY tasks ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in generated:
                        copy.write_row(row)
            else:
                batch = []
                statement = f"INSERT INTO tasks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
                for row in generated:
                    batch.append(tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in row))
                    if len(batch) == 50_000:
                        cursor.executemany(statement, batch)
                        batch = []
                cursor.executemany(statement, batch)
            raw.commit()
    finally:
        raw.close()
    with engine.sql_engine.begin() as connection:
        for _, ddl in indexes:
            connection.execute(text(ddl))
    if postgres:
        with engine.sql_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE tasks"))
            connection.execute(text("VACUUM ANALYZE instances"))


def cases(rank: int) -> list[tuple[str, dict]]:
    """(label, inbox arguments): each sort both ways, then each filter (and a few together)."""
    found = [(f"sort {sort} {order}", {"sort": sort, "order": order})
             for sort in ("created", "due", "name", "process") for order in ("asc", "desc")]
    found += [("due overdue", {"due": "overdue"}), ("due week", {"due": "week"}),
              ("claimed yes", {"claimed": "yes"}), ("claimed no", {"claimed": "no"}),
              ("process supplier", {"process": "supplier"}), ("process procurement", {"process": "procurement"}),
              ("scope mine", {"scope": "mine"}),
              ("overdue, by due", {"due": "overdue", "sort": "due"}),
              ("week, unclaimed, by due desc", {"due": "week", "claimed": "no", "sort": "due", "order": "desc"}),
              ("procurement, claimed, by name", {"process": "procurement", "claimed": "yes", "sort": "name"}),
              ("page 10", {"page": "10"}), ("page 10 by due", {"page": "10", "sort": "due"})]
    return found


API_CASES = [("api default", {}), ("api process procurement", {"process": "procurement"}),
             ("api scope mine", {"scope": "mine"}), ("api state completed", {"state": "completed"}),
             ("api completed, mine", {"state": "completed", "scope": "mine"}),
             ("api page 10 of 200", {"page": "10", "per_page": "200"})]


def query_arguments(args: dict, rank: int, now: datetime) -> dict:
    return {"scope": args.get("scope", "organisation"), "state": args.get("state", "open"),
            "process": args.get("process"), "due": args.get("due"), "claimed": args.get("claimed"),
            "sort": args.get("sort", "created"), "descending": args.get("order") == "desc",
            "page": int(args.get("page", 1)), "per_page": int(args.get("per_page", 25)), "now": now}


def timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm: the first call of a kind prepares statements and fills caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000, p95(times) * 1000


def run_case(engine, client, headers, rank, label, case, now, repeat) -> tuple[tuple, tuple]:
    """The case at the query, then over HTTP: the web inbox, or GET /api/v1/tasks."""
    arguments = query_arguments(case, rank, now)
    api = label.startswith("api")
    username = user(rank, 1) if api else user(rank)
    at_query = timed(lambda: engine.queries.inbox(organisation(rank), username, **arguments), repeat)

    def http():
        if api:
            response = client.get("/api/v1/tasks", query_string=case, headers=headers)
        else:
            response = client.get("/", query_string=case)
        assert response.status_code == 200, response.status_code
    return at_query, timed(http, repeat)


def explain(engine, rank: int, label: str, case: dict, now: datetime) -> None:
    """The plans of the statements one inbox call sends (SQLite: EXPLAIN QUERY PLAN;
    PostgreSQL: EXPLAIN ANALYZE, with the rows each step read)."""
    captured = []

    def hook(_connection, _cursor, statement, parameters, _context, _many):
        captured.append((statement, parameters))
    event.listen(engine.sql_engine, "before_cursor_execute", hook)
    try:
        engine.queries.inbox(organisation(rank), user(rank, 1) if label.startswith("api") else user(rank),
                             **query_arguments(case, rank, now))
    finally:
        event.remove(engine.sql_engine, "before_cursor_execute", hook)
    sqlite = engine.sql_engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
    print(f"  {label}:")
    with engine.sql_engine.connect() as connection:
        for statement, parameters in captured:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            kind = "count" if statement.lstrip().upper().startswith("SELECT COUNT") else "page"
            plan = connection.exec_driver_sql(prefix + statement, parameters).all()
            lines = [row[3] for row in plan] if sqlite else [row[0] for row in plan]
            print(f"    {kind}: " + "\n           ".join(lines))


def signed_in(app, username: str):
    client = app.test_client()
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": found.group(1) if found else ""})
    assert response.status_code == 302, response.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--completed", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this")
    parser.add_argument("--explain", action="store_true", help="print the plans of the biggest organisation's cases")
    args = parser.parse_args()
    from api import create_app
    engine, done = fresh_engine(args.database_url)
    try:
        began = time.perf_counter()
        fill(engine, args.open, args.completed)
        filled = time.perf_counter() - began
        now = utc_naive(engine.now())
        app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "bench"})
        with engine.uow() as uow:  # API tokens for the two users (add_user shows one only once)
            tokens = {rank: add_user(uow, user(rank, 1), organisation(rank), ["caseworker"], engine.now())
                      for rank in (BIG, MIDDLE)}
            uow.commit()
        print(f"machine: {machine()}; database: {args.database_url.split('@')[-1]}")
        print(f"{args.open:,} open + {args.completed:,} completed tasks in {ORGANISATIONS} organisations "
              f"(Zipf), loaded in {filled:.0f} s; {args.repeat} timed runs per case, page of 25 "
              f"(the web inbox's), times in ms")
        if args.explain:
            print(f"\nplans, {organisation(BIG)}:")
            for label, case in cases(BIG) + API_CASES:
                if args.only in label:
                    explain(engine, BIG, label, case, now)
        worst: dict[tuple[int, str], tuple[float, str]] = {}
        for rank in (BIG, MIDDLE):
            big = engine.queries.inbox(organisation(rank), per_page=1)
            print(f"\n{organisation(rank)} (rank {rank}): {big.total}{'+' if big.capped else ''} open tasks "
                  f"(the inbox's capped count); query p50/p95 | HTTP p50/p95")
            client = signed_in(app, user(rank))
            headers = {"Authorization": f"Bearer {tokens[rank]}"}
            for label, case in cases(rank) + API_CASES:
                if args.only not in label:
                    continue
                (q50, q95), (h50, h95) = run_case(engine, client, headers, rank, label, case, now, args.repeat)
                print(f"  {label:32s} {q50:6.1f} / {q95:6.1f} | {h50:6.1f} / {h95:6.1f}")
                worst[rank, "query"] = max(worst.get((rank, "query"), (0, "")), (q95, label))
                worst[rank, "HTTP"] = max(worst.get((rank, "HTTP"), (0, "")), (h95, label))
        for (rank, where), (figure, label) in worst.items():
            print(f"worst {where} p95, {organisation(rank)}: {figure:.1f} ms ({label}); goal <= 20 ms")
    finally:
        done()


if __name__ == "__main__":
    main()
