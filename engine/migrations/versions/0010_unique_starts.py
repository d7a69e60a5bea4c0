"""one case per business key and process; one case per retried start

- instances: a unique index on (process_key, business_key). Earlier duplicates keep their
  first case's key; later ones get " (2)", " (3)", … appended, so the index can be made.
- idempotency_keys: a start's Idempotency-Key (scoped by caller and process) and its case.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    duplicates = connection.execute(sa.text(
        "SELECT id, process_key, business_key FROM instances WHERE business_key IS NOT NULL AND "
        "(process_key, business_key) IN (SELECT process_key, business_key FROM instances "
        "WHERE business_key IS NOT NULL GROUP BY process_key, business_key HAVING COUNT(*) > 1) "
        "ORDER BY process_key, business_key, created_at, id")).fetchall()
    seen: dict[tuple[str, str], int] = {}
    for instance_id, process_key, business_key in duplicates:
        count = seen[(process_key, business_key)] = seen.get((process_key, business_key), 0) + 1
        if count > 1:
            connection.execute(sa.text("UPDATE instances SET business_key = :key WHERE id = :id"),
                               {"key": f"{business_key} ({count})"[:200], "id": instance_id})
    op.create_index("uq_instances_process_business_key", "instances", ["process_key", "business_key"], unique=True)
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("instance_id", sa.String(36), sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("uq_instances_process_business_key", table_name="instances")
