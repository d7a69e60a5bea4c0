"""organisations, users and the participant access log

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=400), nullable=False),
        sa.Column("password_hash", sa.String(length=400), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation"], ["organisations.name"]),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_index("ix_users_token", "users", ["token_hash"], unique=True)
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_instance", "access_log", ["instance_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_instance", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_users_token", table_name="users")
    op.drop_table("users")
    op.drop_table("organisations")
