"""forms as deployed, versioned resources; where each process version came from

- form_definitions: every deployed version of every form (JSON Schema), like diagrams;
- process_definitions.source / deployed_by: file | modeller | api | cli, and who;
- process_definitions.form_versions: the form versions its user tasks use, pinned at deploy;
- tasks.form_version: the form version a task opened with (it keeps it).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_definitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(400), nullable=True),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("deployed_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(20), nullable=True),
        sa.Column("deployed_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("key", "version", name="uq_form_key_version"),
    )
    with op.batch_alter_table("process_definitions") as batch:
        batch.add_column(sa.Column("source", sa.String(20), nullable=True))
        batch.add_column(sa.Column("deployed_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("form_versions", sa.Text(), nullable=True))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("form_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("form_version")
    with op.batch_alter_table("process_definitions") as batch:
        batch.drop_column("form_versions")
        batch.drop_column("deployed_by")
        batch.drop_column("source")
    op.drop_table("form_definitions")
