"""the inbox's indexes: every sort and filter of a big organisation's inbox reads an index

- ix_tasks_org_inbox gains `id`: the inbox orders by (created_at, id), now read in index order
  (both directions) for every state (the API lists completed and cancelled tasks too).
- ix_tasks_claimed gains (created_at, id, organisation, process_key) and ix_tasks_completed_by
  is new, the same: "my tasks" (claimed or completed by me) read in order from each, and
  counted from the indexes alone.
- one partial index per sort over open tasks only (`WHERE state = 'open'`: completed rows, the
  larger part of the table as time goes by, stay out of them), led by the organisation, then
  the sort's column and id, then the filters' columns (due_at, claimed_by, process_key): a page
  is read in index order in either direction, and a filtered page or count is decided from the
  index without reading the table.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPEN_TASK = sa.text("state = 'open'")


def claim_columns(who: str) -> tuple[str, ...]:
    """The columns of "my tasks" (claimed or completed by me): by creation, with what the filters ask."""
    return (who, "state", "created_at", "id", "organisation", "process_key")


INBOX_INDEXES = {
    "ix_tasks_open_created": ("created_at", "id", "due_at", "claimed_by", "process_key"),
    "ix_tasks_open_due": ("due_at", "id", "claimed_by", "process_key"),
    "ix_tasks_open_name": ("name", "id", "due_at", "claimed_by", "process_key"),
    "ix_tasks_open_process": ("process_key", "id", "due_at", "claimed_by"),
}


def upgrade() -> None:
    op.drop_index("ix_tasks_org_inbox", table_name="tasks")
    op.create_index("ix_tasks_org_inbox", "tasks", ["organisation", "state", "created_at", "id"])
    op.drop_index("ix_tasks_claimed", table_name="tasks")
    op.create_index("ix_tasks_claimed", "tasks", list(claim_columns("claimed_by")))
    op.create_index("ix_tasks_completed_by", "tasks", list(claim_columns("completed_by")))
    for name, columns in INBOX_INDEXES.items():
        op.create_index(name, "tasks", ["organisation", *columns], sqlite_where=OPEN_TASK,
                        postgresql_where=OPEN_TASK)


def downgrade() -> None:
    for name in INBOX_INDEXES:
        op.drop_index(name, table_name="tasks")
    op.drop_index("ix_tasks_completed_by", table_name="tasks")
    op.drop_index("ix_tasks_claimed", table_name="tasks")
    op.create_index("ix_tasks_claimed", "tasks", ["claimed_by", "state"])
    op.drop_index("ix_tasks_org_inbox", table_name="tasks")
    op.create_index("ix_tasks_org_inbox", "tasks", ["organisation", "state", "created_at"])
