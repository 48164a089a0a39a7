"""Alembic migrations go up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool

from app.db import migrate as migrations
from app.db.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("postgres_server").new_database(f"m_{uuid.uuid4().hex[:12]}"))


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_go_up_down_and_up_again(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    assert migrations.current_revision(empty_url) == migrations.head_revision()
    assert _tables(empty_url) >= set(Base.metadata.tables)
    migrations.downgrade(empty_url, "base")
    assert migrations.current_revision(empty_url) is None
    assert _tables(empty_url) <= {"alembic_version"}
    migrations.upgrade(empty_url)
    assert migrations.current_revision(empty_url) == migrations.head_revision()


def test_the_migrated_schema_matches_the_models(empty_url: str) -> None:
    migrations.upgrade(empty_url)
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"the models changed without a migration: {diff}"


def test_0010_staff_keeps_submissions_and_adds_adjustments_and_requests(empty_url: str) -> None:
    """Upgrading from 0006 with a course, a student and a graded submission: the score is unchanged, its
    adjustment is 0, and TAs, adjustments and regrade requests can be stored."""
    from sqlalchemy import text

    migrations.upgrade(empty_url, "0006_overview")
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            now = "2026-12-01 10:00:00"
            conn.execute(
                text(
                    "INSERT INTO users (id, username, full_name, is_admin, created_at) "
                    f"VALUES (1, 'al', '', false, '{now}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, username, full_name, is_admin, created_at) "
                    f"VALUES (2, 'ta', '', false, '{now}')"
                )
            )
            conn.execute(text(f"INSERT INTO courses (id, slug, title, created_at) VALUES (1, 'dl', 'DL', '{now}')"))
            conn.execute(
                text(
                    "INSERT INTO problems (id, course_id, slug, title, published, late_policy, late_penalty, "
                    "quota_window_seconds, reveal_hidden_after_deadline, created_at, seed_secret) "
                    f"VALUES (1, 1, 'p', 'P', true, 'accept', 0, 3600, false, '{now}', :seed)"
                ),
                {"seed": b"k" * 32},
            )
            conn.execute(
                text(
                    "INSERT INTO problem_versions (id, problem_id, number, label, digest, bundle_zip, created_at) "
                    f"VALUES (1, 1, 1, 'v1', 'd', :zip, '{now}')"
                ),
                {"zip": b"zip"},
            )
            conn.execute(
                text(
                    "INSERT INTO submissions (id, problem_id, version_id, user_id, created_at, late, state, attempt, "
                    f"infra_failures, score, max_score) VALUES (1, 1, 1, 1, '{now}', false, 'graded', 1, 0, 4, 6)"
                )
            )
        migrations.upgrade(empty_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT score, adjustment FROM submissions")).one() == (4, 0)
            conn.execute(
                text(
                    "INSERT INTO enrollments (course_id, user_id, role, created_at, invited) "
                    f"VALUES (1, 2, 'ta', '{now}', false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO score_adjustments (id, submission_id, points, comment, author_id, created_at) "
                    f"VALUES (1, 1, 1.5, 'good', 2, '{now}')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO regrade_requests (submission_id, student_id, reason, state, created_at, "
                    "adjustment_id) "
                    f"VALUES (1, 1, 'why', 'open', '{now}', 1)"
                )
            )
            assert conn.execute(text("SELECT role FROM enrollments")).scalar_one() == "ta"
        migrations.downgrade(empty_url, "0006_overview")
        assert {"score_adjustments", "regrade_requests"} & _tables(empty_url) == set()
    finally:
        engine.dispose()
