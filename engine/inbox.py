"""The inbox: an organisation's tasks (or a user's), sorted and filtered as the web inbox and
the API offer, read a page at a time from an index that serves it, and counted only as far as a
page needs (a big organisation holds hundreds of thousands of open tasks)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, literal_column, select, union
from sqlalchemy.orm import Session, sessionmaker

from .models import TaskRow
from .page import Page
from .statuses import TaskState

INBOX_SORTS = {"created": TaskRow.created_at, "due": TaskRow.due_at, "name": TaskRow.name,
               "process": TaskRow.process_key}
TASK_STATES = tuple(TaskState)
# How many tasks past a page's start the inbox counts: a big organisation's 278,000 open tasks
# would take longer to count than the page takes to read. Above it the total is "1000+".
INBOX_COUNT_CAP = 1000


def _inbox_index(state: str, scope: str, sort: str, process: str | None = None,
                 due: bool = False, counting: bool = False) -> str | None:
    """The index that serves an inbox page (or, `counting`, its total) on SQLite."""
    if scope == "mine":  # a user's tasks are few: read them all (by id from the two indexes), then sort
        return "ix_tasks_claimed" if state == TaskState.OPEN else "sqlite_autoindex_tasks_1"
    if state != TaskState.OPEN:
        return "ix_tasks_org_inbox" if sort == "created" and not process else None
    if counting:  # the narrowest range; every open-task index holds the filters' columns
        sort = "process" if process else "due" if due else "created"
    return f"ix_tasks_open_{sort}"


def _select(columns, conditions: list, index: str | None):
    query = select(*columns).where(*conditions)
    return query.with_hint(TaskRow, f"INDEXED BY {index}", "sqlite") if index else query


def _rows(session: Session, conditions: list, order: tuple, offset: int, limit: int,
          index: str | None) -> list[TaskRow]:
    return list(session.scalars(_select((TaskRow,), conditions, index).order_by(*order).offset(offset).limit(limit)))


def _count(session: Session, conditions, limit: int, index: str | None) -> int:
    """How many tasks match (`conditions`, or a union of limited selects), counting no further than `limit`."""
    if isinstance(conditions, list):
        matching = _select((literal_column("1"),), conditions, index).select_from(TaskRow).limit(limit).subquery()
    else:
        matching = conditions.subquery()
    return min(limit, session.scalar(select(func.count()).select_from(matching)) or 0)


def inbox_page(session_factory: sessionmaker[Session], organisation: str | None, username: str | None = None, *,
               scope: str = "organisation", state: str = TaskState.OPEN, process: str | None = None,
               page: int = 1, per_page: int = 50, due: str | None = None, claimed: str | None = None,
               sort: str = "created", descending: bool = False, now: datetime | None = None) -> Page:
    """Tasks of one organisation (or, with scope='mine', claimed by the user); oldest first.
    `due`: 'overdue' or 'week' (due within 7 days of `now`); `claimed`: 'yes' or 'no';
    `sort`: one of INBOX_SORTS (ties by id, in the same direction; tasks without a due date
    last when sorted by due date, whichever the direction). The total is counted up to
    INBOX_COUNT_CAP past the page's start: above that the page says `capped`."""
    # A known state as a literal: the planner can then use the open tasks' partial indexes
    # (a bound value would not match their WHERE in a generic plan).
    conditions = [TaskRow.state == (literal_column(f"'{state}'") if state in TASK_STATES else state)]
    if organisation is not None:
        conditions.append(TaskRow.organisation == organisation)
    if process:
        conditions.append(TaskRow.process_key == process)
    dated_only = False
    if due and now is not None:
        limit = now if due == "overdue" else now + timedelta(days=7)
        conditions += [TaskRow.due_at.is_not(None), TaskRow.due_at < limit]
        dated_only = True
    if claimed == "yes":
        conditions.append(TaskRow.claimed_by.is_not(None))
    elif claimed == "no":
        conditions.append(TaskRow.claimed_by.is_(None))
    column = INBOX_SORTS[sort]
    direction = (lambda c: c.desc()) if descending else (lambda c: c.asc())
    offset = (page - 1) * per_page
    counting = conditions
    if scope == "mine" and state == TaskState.OPEN:  # an open task is never completed: its claim says mine
        conditions = counting = [*conditions, TaskRow.claimed_by == username]
    elif scope == "mine":  # claimed or completed by me, each read from its own index
        def mine(limit: int | None = None, order: tuple = ()):
            def branch(who):
                query = select(TaskRow.id).where(*conditions, who == username)
                return select(query.order_by(*order).limit(limit).subquery().c.id) if limit else query
            return union(branch(TaskRow.claimed_by), branch(TaskRow.completed_by))
        order = (direction(column), direction(TaskRow.id))
        # by creation (the API's order), only each index's first tasks can be on the page
        counting = mine(offset + INBOX_COUNT_CAP + 1)
        conditions = [*conditions, TaskRow.id.in_(mine(offset + per_page, order) if sort == "created" else mine())]
    index = _inbox_index(state, scope, sort, process)
    count_index = _inbox_index(state, scope, sort, process, dated_only, counting=True)
    with session_factory() as session:
        if sort != "due":
            items = _rows(session, conditions, (direction(column), direction(TaskRow.id)), offset, per_page, index)
        else:
            # Dated tasks in due order, then the undated ones: two index range reads, so
            # that neither direction sorts the organisation's tasks (NULLs sort first on
            # SQLite, last on PostgreSQL).
            dated = [*conditions, TaskRow.due_at.is_not(None)]
            items = _rows(session, dated, (direction(TaskRow.due_at), direction(TaskRow.id)), offset, per_page,
                          index)
            if len(items) < per_page and not dated_only:
                before = offset + len(items) if items or not offset else _count(session, dated, offset, index)
                items += _rows(session, [*conditions, TaskRow.due_at.is_(None)], (direction(TaskRow.id),),
                               max(0, offset - before), per_page - len(items), index)
        if len(items) < per_page and (items or not offset):  # the last page: no need to count
            return Page(items, offset + len(items), page, per_page)
        counted = _count(session, counting, offset + INBOX_COUNT_CAP + 1, count_index)
        return Page(items, min(counted, offset + INBOX_COUNT_CAP), page, per_page,
                    capped=counted > offset + INBOX_COUNT_CAP)
