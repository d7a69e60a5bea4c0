"""Schema migrations (Alembic), run from code so that `kedja` needs no alembic.ini."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine as SqlEngine

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
