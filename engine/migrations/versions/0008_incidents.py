"""waits: failed tries and incidents; messages: an index for failed ones

A timer that fails `max_attempts` times stops being retried and becomes an incident
(`failed_at`) until an administrator retries it; `attempts` and `last_error` say why. A
message that fails as often gets the status `failed` (its `attempts` and `last_error` were
there already; `attempts` now counts failed tries, not claims).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waits") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE messages SET attempts = 0")


def downgrade() -> None:
    with op.batch_alter_table("waits") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("last_error")
        batch.drop_column("attempts")
