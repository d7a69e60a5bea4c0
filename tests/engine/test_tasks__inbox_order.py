"""The inbox's sorts, filters and pages against the same rules applied in Python: every sort
both ways (ties by id in the same direction, undated tasks last when sorted by due date), the
filters, pages that join without gap or overlap, and the capped count. Also: the migrated
schema has the inbox indexes the model declares."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, inspect

from engine import inbox
from engine.models import Instance, ProcessDefinition, TaskRow

NOW = datetime(2026, 1, 5, 8, 0)


@pytest.fixture
def tasks(engine):
    rng = random.Random(7)
    with engine.sql_engine.begin() as connection:
        connection.execute(insert(ProcessDefinition), [{"id": 1, "key": "p", "version": 1, "name": "p", "checksum": "x",
                                                        "bpmn_xml": "", "deployed_at": NOW}])
        connection.execute(insert(Instance), [{"id": "i", "definition_id": 1, "process_key": "p", "status": "running",
                                               "state": b"", "created_at": NOW, "last_progress_at": NOW, "version": 1}])
        rows = []
        for n in range(150):
            state = rng.choice(("open", "open", "open", "completed"))
            claimed = rng.choice((None, None, "anna", "bo"))
            rows.append({
                "id": f"t-{rng.randrange(10**6):06d}-{n}", "instance_id": "i", "process_key": rng.choice("ab"),
                "element_id": "e", "name": rng.choice(("Läs", "Skriv", "Besluta")),
                "organisation": rng.choice(("Higab", "Higab", "Angered")), "state": state,
                # equal times and dates now and then: the ties are ordered by id
                "created_at": NOW - timedelta(hours=rng.randrange(40)),
                "due_at": NOW + timedelta(days=rng.randrange(-10, 20)) if rng.random() < 0.6 else None,
                "claimed_by": claimed, "completed_by": claimed if state == "completed" else None})
        connection.execute(insert(TaskRow), rows)
    return rows


def expected(rows, *, state="open", scope="organisation", process=None, due=None, claimed=None, sort="created",
             descending=False):
    chosen = [r for r in rows if r["organisation"] == "Higab" and r["state"] == state]
    if scope == "mine":
        chosen = [r for r in chosen if "anna" in (r["claimed_by"], r["completed_by"])]
    if process:
        chosen = [r for r in chosen if r["process_key"] == process]
    if due:
        limit = NOW if due == "overdue" else NOW + timedelta(days=7)
        chosen = [r for r in chosen if r["due_at"] is not None and r["due_at"] < limit]
    if claimed:
        chosen = [r for r in chosen if (r["claimed_by"] is not None) == (claimed == "yes")]
    column = {"created": "created_at", "due": "due_at", "name": "name", "process": "process_key"}[sort]
    ordered = [r for r in chosen if r[column] is not None]
    ordered.sort(key=lambda r: (r[column], r["id"]), reverse=descending)
    return [r["id"] for r in ordered + sorted((r for r in chosen if r[column] is None),
                                              key=lambda r: r["id"], reverse=descending)]


CASES = [{"sort": sort, "descending": descending} for sort in inbox.INBOX_SORTS for descending in (False, True)]
CASES += [{"due": "overdue"}, {"due": "week", "sort": "due", "descending": True}, {"claimed": "yes"},
          {"claimed": "no", "sort": "due"}, {"process": "b", "sort": "name", "descending": True},
          {"scope": "mine"}, {"scope": "mine", "state": "completed"}, {"state": "completed", "sort": "due"}]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(f"{k}={v}" for k, v in case.items()))
def test_each_sort_and_filter_pages_through_in_order(engine, tasks, case, monkeypatch):
    monkeypatch.setattr(inbox, "INBOX_COUNT_CAP", 12)  # counted 12 past a page's start at most
    want = expected(tasks, **case)
    assert want, case
    got, page = [], 1
    while True:
        result = engine.queries.inbox("Higab", "anna", per_page=7, page=page, now=NOW, **case)
        got += [task.id for task in result.items]
        start = (page - 1) * 7
        assert result.total == min(len(want), start + 12)
        assert result.capped == (len(want) > start + 12)
        if len(result.items) < 7:
            break
        page += 1
    assert got == want
    beyond = engine.queries.inbox("Higab", "anna", per_page=7, page=page + 3, now=NOW, **case)
    assert beyond.items == [] and not beyond.capped


def test_the_migrated_schema_has_the_inbox_indexes_of_the_model(engine):
    found = {index["name"]: index["column_names"] for index in inspect(engine.sql_engine).get_indexes("tasks")}
    for index in TaskRow.__table__.indexes:
        assert found.get(index.name) == [column.name for column in index.columns], index.name
