"""extensions and late days: per-student deadlines and extra quota, a course's bank of late days

Revision ID: 0008_extensions
Revises: 0006_overview
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_extensions"
down_revision = "0007_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_days", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_days_max", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_days", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("extra_quota", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_extensions_problem_id_problems"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_extensions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_extensions_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_extensions_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
        sa.UniqueConstraint("problem_id", "user_id", name=op.f("uq_extensions_problem_id")),
    )
    with op.batch_alter_table("extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extensions_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_extensions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("extensions")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("late_days")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_column("late_days_max")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("late_days")
