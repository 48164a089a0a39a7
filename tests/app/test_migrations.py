"""Alembic migrations go up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, select, text
from sqlalchemy.orm import Session

from app.db import migrate as migrations
from app.db.models import Base, ReportState, SimilarityReport

_T = dt.datetime(2026, 12, 1, 12, 0)


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


def test_similarity_reports_come_with_problems_already_stored(empty_url: str) -> None:
    """Upgrading a 0006 database that holds a course and a problem adds the reports' table, empty, and a
    report of that problem can be stored and is deleted with it."""
    migrations.upgrade(empty_url, "0006_overview")
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO courses (id, slug, title, created_at) VALUES (1, 'dl', 'DL', :t)"), {"t": _T}
            )
            conn.execute(
                text(
                    "INSERT INTO problems (id, course_id, slug, title, published, late_policy, late_penalty, "
                    "quota_window_seconds, reveal_hidden_after_deadline, created_at, seed_secret) "
                    "VALUES (1, 1, 'layers', 'Layers', :yes, 'accept', 0, 3600, :no, :t, :key)"
                ),
                {"yes": True, "no": False, "t": _T, "key": b"k" * 32},
            )
        migrations.upgrade(empty_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM similarity_reports")).scalar() == 0
            assert conn.execute(text("SELECT slug FROM problems")).scalar() == "layers"
        with Session(engine) as session, session.begin():
            session.add(SimilarityReport(problem_id=1, pairs=[{"a": 1, "b": 2, "similarity": 0.5}]))
        with Session(engine) as session:
            report = session.scalars(select(SimilarityReport)).one()
            assert (report.state, report.pairs, report.attempt) == (
                ReportState.QUEUED,
                [{"a": 1, "b": 2, "similarity": 0.5}],
                0,
            )
    finally:
        engine.dispose()
