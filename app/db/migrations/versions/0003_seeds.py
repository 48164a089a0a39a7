"""per-problem seed secrets and background upload checks

Revision ID: 0002_seeds
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002_seeds"
down_revision = "0002_regrade_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed_secret", sa.LargeBinary(length=64), nullable=True))
    problems = sa.table("problems", sa.column("id", sa.Integer()), sa.column("seed_secret", sa.LargeBinary()))
    conn = op.get_bind()
    # Existing problems get a key of their own now; their inputs are drawn once more, then stay put.
    for (problem_id,) in conn.execute(sa.select(problems.c.id)).all():
        conn.execute(problems.update().where(problems.c.id == problem_id).values(seed_secret=secrets.token_bytes(32)))
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.alter_column("seed_secret", existing_type=sa.LargeBinary(length=64), nullable=False)
    op.create_table(
        "upload_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("new_problem", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "running", "passed", "failed", name="checkstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("bundle_zip", sa.LargeBinary(), nullable=True),
        sa.Column("seed_secret", sa.LargeBinary(length=64), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_upload_checks_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_upload_checks_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_checks")),
    )
    with op.batch_alter_table("upload_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_checks_course_id"), ["course_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("upload_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_checks_course_id"))
    op.drop_table("upload_checks")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_column("seed_secret")
