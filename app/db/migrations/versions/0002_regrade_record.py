"""a regrade keeps who applied it and its before/after table

Revision ID: 0002_regrade_record
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_regrade_record"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regrades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applied_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("record", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_regrades_applied_by_id_users"), "users", ["applied_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("regrades", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_regrades_applied_by_id_users"), type_="foreignkey")
        batch_op.drop_column("record")
        batch_op.drop_column("applied_by_id")
