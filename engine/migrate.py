"""Schema migrations (Alembic), run from code so that `kedja` needs no alembic.ini."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, text

from .db import make_sql_engine, normalise_url

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(sql_engine: SqlEngine, revision: str = "head") -> None:
    with sql_engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def create_schema(url: str, schema: str) -> None:
    """A new PostgreSQL schema with the current tables (tests and benchmarks run in their own)."""
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sql_engine = make_sql_engine(url, schema)
    upgrade(sql_engine)
    sql_engine.dispose()


def drop_schema(url: str, schema: str) -> None:
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
