"""accounts: one-time password links, and browser sessions marked among the tokens

Revision ID: 0005_accounts
Revises: 0002_service
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_accounts"
down_revision = "0002_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE api_tokens SET browser = (1 = 1) WHERE name = 'browser session'")
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("set", "reset", name="linkkind", native_enum=False, length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
        sa.Column("mailed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_password_links_course_id_courses"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_password_links_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_links_token_hash")),
    )
    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_links_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_password_links_course_id"), ["course_id"], unique=False)


def downgrade() -> None:
    op.drop_table("password_links")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("browser")
