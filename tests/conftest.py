"""Fixtures: a fresh engine per test on a migrated SQLite file, or on a PostgreSQL schema of
this test run when KEDJA_TEST_DATABASE_URL is set; a frozen clock; diagram helpers."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import text

from engine import migrate
from engine.clock import FrozenClock
from engine.config import EngineConfig
from engine.db import make_sql_engine
from engine.models import Base
from engine.service import Engine

from .helpers import FIXTURES, PG_URL


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Migrate once per test run: a template SQLite file, or a PostgreSQL schema."""
    if PG_URL:
        schema = f"kedja_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        migrate.create_schema(PG_URL, schema)
        yield {"url": PG_URL, "schema": schema}
        migrate.drop_schema(PG_URL, schema)
    else:
        template = tmp_path_factory.mktemp("db") / "template.db"
        sql_engine = make_sql_engine(f"sqlite:///{template}")
        migrate.upgrade(sql_engine)
        sql_engine.dispose()
        yield {"template": template}


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def database_url(database, tmp_path):
    """A clean database for this test; returns (url, schema)."""
    if "url" in database:
        sql_engine = make_sql_engine(database["url"], database["schema"])
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with sql_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        sql_engine.dispose()
        return database["url"], database["schema"]
    path = tmp_path / "kedja.db"
    shutil.copy(database["template"], path)
    return f"sqlite:///{path}", None


@pytest.fixture
def make_engine(database_url, clock):
    """Build engines on this test's database (several = several nodes sharing it)."""
    engines = []

    def make(**overrides) -> Engine:
        url, schema = database_url
        # The fixtures' own forms, unless a test runs the real model (forms_dir=None).
        overrides.setdefault("forms_dir", str(FIXTURES / "forms"))
        # A request routes its whole cascade before it answers (no time bound): what a test
        # sees right after a command does not depend on how busy the machine is. The hand-over
        # to the routing threads has tests of its own.
        overrides.setdefault("inline_route_ms", 0)
        # KEDJA_TEST_HISTORY_LEVELS=1 runs the whole suite with history cut at every chance:
        # a differential check of engine/spiff/history.py against what the tests expect.
        if levels := os.environ.get("KEDJA_TEST_HISTORY_LEVELS"):
            overrides.setdefault("history_levels", int(levels))
        config = EngineConfig(database_url=url, database_schema=schema,
                              node_name=f"node-{len(engines) + 1}", **overrides)
        engine = Engine(config, clock)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def engine(make_engine) -> Engine:
    return make_engine()

