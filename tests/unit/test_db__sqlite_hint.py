"""The inbox names its index on SQLite (engine/db.py teaches SQLAlchemy's SQLite dialect to
render a FROM hint): if an upgrade of SQLAlchemy changes that, this fails, not the inbox's speed."""
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

import engine.db  # noqa: F401 (the hint's rendering is set up there)
from engine.models import TaskRow


def test_sqlite_renders_the_index_hint_and_postgresql_ignores_it():
    query = select(TaskRow.id).with_hint(TaskRow, "INDEXED BY ix_tasks_open_due", "sqlite")
    assert "tasks INDEXED BY ix_tasks_open_due" in str(query.compile(dialect=sqlite.dialect()))
    assert "INDEXED BY" not in str(query.compile(dialect=postgresql.dialect()))
