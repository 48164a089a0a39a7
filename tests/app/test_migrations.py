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


_ROWS_AT_0006 = [
    "INSERT INTO users (id, username, full_name, is_admin, created_at) VALUES (1, 'alice', 'Alice', false, :t)",
    "INSERT INTO courses (id, slug, title, created_at) VALUES (1, 'dl', 'DL', :t)",
    "INSERT INTO problems (id, course_id, slug, title, published, late_policy, late_penalty, quota_window_seconds,"
    " reveal_hidden_after_deadline, created_at, seed_secret) VALUES (1, 1, 'p', 'P', true, 'accept', 0, 3600,"
    " false, :t, :secret)",
    "INSERT INTO problem_versions (id, problem_id, number, label, digest, bundle_zip, created_at)"
    " VALUES (1, 1, 1, '1', 'd', :secret, :t)",
    "INSERT INTO regrades (id, problem_id, version_id, state, created_at) VALUES (1, 1, 1, 'pending', :t)",
    "INSERT INTO submissions (id, problem_id, version_id, user_id, created_at, late, state, attempt, infra_failures)"
    " VALUES (1, 1, 1, 1, :t, false, 'graded', 1, 0)",
    "INSERT INTO submissions (id, problem_id, version_id, user_id, created_at, late, state, attempt, infra_failures)"
    " VALUES (2, 1, 1, 1, :t, false, 'queued', 0, 0)",
    "INSERT INTO submissions (id, problem_id, version_id, user_id, regrade_id, source_id, created_at, late, state,"
    " attempt, infra_failures) VALUES (3, 1, 1, 1, 1, 1, :t, false, 'queued', 0, 0)",
]


def test_the_queue_migration_keeps_the_rows_and_makes_a_regrades_copies_background_work(empty_url: str) -> None:
    import datetime as dt

    from sqlalchemy import text

    migrations.upgrade(empty_url, "0006_overview")
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in _ROWS_AT_0006:
                conn.execute(text(statement), {"t": dt.datetime(2026, 12, 1), "secret": b"x" * 32})
        migrations.upgrade(empty_url, "0007_queue")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, state, priority, queued_at, superseded_by_id FROM submissions ORDER BY id")
            ).all()
            supersede = conn.execute(text("SELECT supersede_queued FROM problems")).scalar_one()
        assert [tuple(r) for r in rows] == [(1, "graded", 0, None, None), (2, "queued", 0, None, None),
                                             (3, "queued", 1, None, None)]  # fmt: skip
        assert bool(supersede) is True
        with engine.begin() as conn:
            conn.execute(text("UPDATE submissions SET state = 'superseded', superseded_by_id = 2 WHERE id = 1"))
        migrations.downgrade(empty_url, "0006_overview")
        with engine.connect() as conn:
            states = conn.execute(text("SELECT state FROM submissions ORDER BY id")).scalars().all()
        assert states == ["queued", "queued", "queued"]  # a superseded one waits again, as before the queue existed
    finally:
        engine.dispose()
