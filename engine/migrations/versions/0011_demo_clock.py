"""the demo clock: how far a demonstration has moved time forward

- demo_clock: one row (id 1) with the offset in seconds that `kedja demo` adds to the real time,
  who moved it last and when. Every service process on the database reads it, so several
  workers agree on the time. Outside demo mode the table is never read.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demo_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("offset_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("moved_by", sa.String(200), nullable=True),
        sa.Column("moved_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("demo_clock")
