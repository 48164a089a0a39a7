"""the fair queue: priority class, queue time, superseded submissions, and the problem's supersede switch

Revision ID: 0007_queue
Revises: 0006_overview
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_queue"
down_revision = "0006_overview"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_submissions_superseded_by_id_submissions"),
            "submissions",
            ["superseded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_submissions_queue", ["state", "priority", "user_id", "id"], unique=False)
    # A regrade's copies already waiting are background work.
    op.execute("UPDATE submissions SET priority = 1 WHERE regrade_id IS NOT NULL")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersede_queued", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_column("supersede_queued")
    # Superseded submissions did not exist before: they wait in the queue again.
    op.execute("UPDATE submissions SET state = 'queued' WHERE state = 'superseded'")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_queue")
        batch_op.drop_constraint(batch_op.f("fk_submissions_superseded_by_id_submissions"), type_="foreignkey")
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("priority")
