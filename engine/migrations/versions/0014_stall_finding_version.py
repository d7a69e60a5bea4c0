"""stall_findings.instance_version: a finding holds while its instance keeps that row version

Every step deleted its instance's stall findings (one statement per step, on the hot path).
Now a finding records the instance's version it was found at, and the list of findings shows
it only while the instance still has that version: a step hides it at once, and the next
detection replaces it. Findings recorded before this migration have no version and are not
shown until the next detection (a few minutes) records them again.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stall_findings") as batch:
        batch.add_column(sa.Column("instance_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stall_findings") as batch:
        batch.drop_column("instance_version")
