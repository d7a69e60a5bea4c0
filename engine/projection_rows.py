"""What the projection knows of an instance's rows, and the statements that change them.

A step's projection compares the workflow with the instance's rows: which user tasks are open,
what it waits for, its facts. `Rows` is that knowledge. A step reads it from the database, or,
when its workflow came from the workflow cache, takes the `Rows` the previous step left beside
it: the instance's version is the same, so no other transaction has stepped it since, and only
a step changes these columns (a claim or a timer's lease touch others). The statements are
built once, with bound parameters, and run on the table in the step's connection: no statement
is built, no ORM row loaded and no autoflush run for them on every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .models import InstanceFacts, TaskRow, Wait
from .statuses import TaskState

_tasks, _waits, _facts = TaskRow.__table__, Wait.__table__, InstanceFacts.__table__

_OPEN_TASK_IDS = select(_tasks.c.id).where(_tasks.c.instance_id == bindparam("instance_id"),
                                           _tasks.c.state == TaskState.OPEN)
_WAITS = select(_waits.c.id, _waits.c.kind, _waits.c.spiff_task_id, _waits.c.element_id,
                _waits.c.correlation_key, _waits.c.due_at).where(_waits.c.instance_id == bindparam("instance_id"))
_FACTS = select(_facts.c.facts).where(_facts.c.instance_id == bindparam("instance_id"))
_CLOSE_TASK = update(_tasks).where(_tasks.c.id == bindparam("task_id")).values(
    state=bindparam("outcome"), completed_at=bindparam("at"), completed_by=bindparam("by"))
_SET_CORRELATION = update(_waits).where(_waits.c.id == bindparam("wait_id")).values(
    correlation_key=bindparam("key"))
# A timer cycle that moved on is free to be claimed again.
_SET_DUE = update(_waits).where(_waits.c.id == bindparam("wait_id")).values(
    due_at=bindparam("due"), lease_owner=None, lease_until=None)
_DROP_WAITS = delete(_waits).where(_waits.c.id.in_(bindparam("ids", expanding=True)))
_SET_FACTS = update(_facts).where(_facts.c.instance_id == bindparam("instance")).values(
    facts=bindparam("new_facts"), updated_at=bindparam("at"))


class WaitKey(NamedTuple):
    # An event-based gateway is one task that waits for several events: keyed by element too.
    kind: str
    spiff_task_id: str
    element_id: str


class WaitRow(NamedTuple):
    id: Any  # the row's id; for a wait added in this step, its NewId until the flush
    correlation_key: str | None
    due_at: datetime | None


_NO_FACTS = object()


@dataclass
class Rows:
    open_tasks: frozenset[str] = frozenset()
    waits: dict[WaitKey, WaitRow] = field(default_factory=dict)
    facts: Any = _NO_FACTS  # the facts row's JSON, None when it has no row, _NO_FACTS: not read

    def settled(self) -> "Rows":
        """After the flush: rows added in this step have their ids."""
        return Rows(self.open_tasks, {key: row._replace(id=getattr(row.id, "id", row.id))
                                      for key, row in self.waits.items()}, self.facts)


def read(session: Session, instance_id: str, with_facts: bool) -> Rows:
    connection, params = session.connection(), {"instance_id": instance_id}
    waits = {WaitKey(kind, task, element): WaitRow(wait_id, key, due)
             for wait_id, kind, task, element, key, due in connection.execute(_WAITS, params)}
    return Rows(frozenset(connection.scalars(_OPEN_TASK_IDS, params)), waits,
                connection.scalar(_FACTS, params) if with_facts else _NO_FACTS)


def facts_known(rows: Rows) -> bool:
    return rows.facts is not _NO_FACTS


def close_tasks(session: Session, closed: list[dict]) -> None:
    """Tasks no longer open: `closed` holds task_id, outcome, at, by. Task rows this session
    loaded (the task being completed) show the new values too, without being written again."""
    if not closed:
        return
    session.connection().execute(_CLOSE_TASK, closed)
    for change in closed:
        row = session.identity_map.get(identity_key(TaskRow, change["task_id"]))
        if row is not None:
            for column, value in (("state", change["outcome"]), ("completed_at", change["at"]),
                                  ("completed_by", change["by"])):
                set_committed_value(row, column, value)


def change_correlation(session: Session, wait_id: int, key: str) -> None:
    session.connection().execute(_SET_CORRELATION, {"wait_id": wait_id, "key": key})


def change_due(session: Session, wait_id: int, due: datetime) -> None:
    session.connection().execute(_SET_DUE, {"wait_id": wait_id, "due": due})


def drop_waits(session: Session, wait_ids: list[int]) -> None:
    if not wait_ids:
        return
    session.connection().execute(_DROP_WAITS, {"ids": wait_ids})
    for wait_id in wait_ids:  # a loaded row (the timer being fired) is gone: its id may be reused
        if (row := session.identity_map.get(identity_key(Wait, wait_id))) is not None:
            session.expunge(row)


def set_facts(session: Session, instance_id: str, facts: str, at: datetime) -> None:
    session.connection().execute(_SET_FACTS, {"instance": instance_id, "new_facts": facts, "at": at})
