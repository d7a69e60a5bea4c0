"""messages.retain: whether a message is kept after delivery, said by the step that threw it

Routing used to ask the thrower's process version (one query per routed message) whether its
diagram marks the message kedja:retain="true". The thrower's step knows, and now writes it on
the row. Rows written before stay NULL and are asked of the thrower's version as before.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("retain", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("retain")
