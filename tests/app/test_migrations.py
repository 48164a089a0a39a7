"""Alembic migrations go up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text

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


def test_extensions_and_late_days_migrate_over_existing_data(empty_url: str) -> None:
    """From 0006 with a course, problem and submission stored: nothing is lost and late days start at none."""
    migrations.upgrade(empty_url, "0006_overview")
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, full_name, is_admin, created_at) "
                    "VALUES (1, 'al', '', false, '2026-01-01')"
                )
            )
            conn.execute(text("INSERT INTO courses (id, slug, title, created_at) VALUES (1, 'c', 'C', '2026-01-01')"))
            conn.execute(
                text(
                    "INSERT INTO problems (id, course_id, slug, title, published, late_policy, late_penalty, "
                    "quota_window_seconds, reveal_hidden_after_deadline, created_at, seed_secret) "
                    "VALUES (1, 1, 'p', 'P', true, 'accept', 0, 3600, false, '2026-01-01', :seed)"
                ),
                {"seed": b"k" * 32},
            )
            conn.execute(
                text(
                    "INSERT INTO problem_versions (id, problem_id, number, label, digest, bundle_zip, created_at) "
                    "VALUES (1, 1, 1, 'v1', 'd', :zip, '2026-01-01')"
                ),
                {"zip": b"zip"},
            )
            conn.execute(
                text(
                    "INSERT INTO submissions (id, problem_id, version_id, user_id, created_at, late, state, attempt, "
                    "infra_failures) VALUES (1, 1, 1, 1, '2026-01-02', true, 'graded', 1, 0)"
                )
            )
        migrations.upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT late, late_days FROM submissions")).one() == (True, 0)
            assert conn.execute(text("SELECT late_days FROM courses")).scalar_one() == 0
            assert conn.execute(text("SELECT late_days_max FROM problems")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM extensions")).scalar_one() == 0
        migrations.downgrade(empty_url, "0006_overview")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT late FROM submissions")).scalar_one() in (True, 1)
    finally:
        engine.dispose()
