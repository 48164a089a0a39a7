"""problems: release date, held results and which submission counts; submissions: a student's chosen one

Revision ID: 0009_release
Revises: 0006_overview
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_release"
down_revision = "0008_extensions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("results_held", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("results_release_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "counting",
                sa.Enum("best", "latest", name="counting", native_enum=False, length=16),
                server_default="best",
                nullable=False,
            )
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activated_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("activated_at")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_column("counting")
        batch_op.drop_column("results_release_at")
        batch_op.drop_column("results_held")
        batch_op.drop_column("opens_at")
