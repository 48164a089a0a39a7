"""similarity reports: the most similar pairs of a problem's counting submissions, made in the background

Revision ID: 0011_similarity
Revises: 0006_overview
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_similarity"
down_revision = "0009_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "similarity_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "running", "done", "failed", name="reportstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("after_deadline", sa.Boolean(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("pairs", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_similarity_reports_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_similarity_reports_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_similarity_reports")),
    )
    with op.batch_alter_table("similarity_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_similarity_reports_problem_id"), ["problem_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("similarity_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_similarity_reports_problem_id"))
    op.drop_table("similarity_reports")
