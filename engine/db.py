"""Database engine and session factory, built by a function (never at import time)."""
from __future__ import annotations

import os
import threading
import time

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# SQLite's planner has no statistics (the service never runs ANALYZE) and, between an index
# that reads a page in order and one that narrows a filter, guesses wrong for big inboxes: the
# inbox (engine/queries.py) names the index ("INDEXED BY", through SQLAlchemy's with_hint, which
# its SQLite dialect does not render by itself; tests/unit/test_db__sqlite_hint.py checks it).
# PostgreSQL plans from its statistics.
if SQLiteCompiler.get_from_hint_text is SQLCompiler.get_from_hint_text:
    SQLiteCompiler.get_from_hint_text = lambda _compiler, _table, hint: hint


class _StatementCount:
    """KEDJA_STATEMENT_COUNT_FILE (benchmarks only): this process's SQL statements and commits,
    counted by SQLAlchemy's events and written to FILE.<pid> ("statements commits") every 0.2 s,
    so that a benchmark can read a server's counts from outside."""

    def __init__(self, path: str) -> None:
        self.statements = self.commits = 0
        self.path = path
        self.pid = None

    def install(self, sql_engine: SqlEngine) -> None:
        event.listen(sql_engine, "before_cursor_execute", self._statement)
        event.listen(sql_engine, "commit", self._commit)

    def _statement(self, *_args) -> None:
        self._writer()
        self.statements += 1

    def _commit(self, *_args) -> None:
        self.commits += 1

    def _writer(self) -> None:
        if self.pid != os.getpid():  # first statement in this process (a forked worker counts its own)
            self.pid, self.statements, self.commits = os.getpid(), 0, 0
            threading.Thread(target=self._write, args=(self.pid,), daemon=True).start()

    def _write(self, pid: int) -> None:
        while True:
            with open(f"{self.path}.{pid}.tmp", "w") as file:
                file.write(f"{self.statements} {self.commits}\n")
            os.replace(f"{self.path}.{pid}.tmp", f"{self.path}.{pid}")
            time.sleep(0.2)


def make_sql_engine(url: str, schema: str | None = None) -> SqlEngine:
    sql_engine = _make_sql_engine(url, schema)
    if count_file := os.environ.get("KEDJA_STATEMENT_COUNT_FILE"):
        _StatementCount(count_file).install(sql_engine)
    return sql_engine


def _make_sql_engine(url: str, schema: str | None = None) -> SqlEngine:
    url = normalise_url(url)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # An in-memory database lives in its connection: every session shares one (fast tests;
        # not for a service, whose data would end with the process).
        return create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # A busy writer makes others wait (not fail) for up to 30 s.
        sql_engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(sql_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return sql_engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    # No ping before each checkout (a round trip per transaction): a connection the server
    # dropped fails its one transaction, and SQLAlchemy then replaces the whole pool
    # ("optimistic" disconnect handling); connections older than an hour are replaced anyway.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600, connect_args=connect_args)


def make_session_factory(sql_engine: SqlEngine) -> sessionmaker[Session]:
    return sessionmaker(bind=sql_engine, expire_on_commit=False)
