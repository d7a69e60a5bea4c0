"""process_definitions: the same content may be deployed again as a newer version

A process owner who goes back to an earlier diagram deploys its content again; that must give
a new latest version (new cases start on it), not fail on a unique (key, checksum). Versions
stay unique per key, which is what decides two deploys racing.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definitions") as batch:
        batch.drop_constraint("uq_definition_key_checksum", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("process_definitions") as batch:
        batch.create_unique_constraint("uq_definition_key_checksum", ["key", "checksum"])
