"""Alembic environment. Runs on the connection that `engine.migrate.upgrade` hands it."""
from alembic import context
from sqlalchemy import create_engine

from engine.db import normalise_url
from engine.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with create_engine(normalise_url(config.get_main_option("sqlalchemy.url"))).connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
