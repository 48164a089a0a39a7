"""Alembic migrations go up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
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


def _fill(table: sa.Table, **given: object) -> dict[str, object]:
    """A row for `table` as of an older revision: the given values, and a plain value in every other required column."""
    row = dict(given)
    for col in table.columns:
        if col.name in row or col.nullable or col.primary_key or col.server_default is not None:
            continue
        kind = col.type
        if isinstance(kind, sa.Boolean):
            row[col.name] = False
        elif isinstance(kind, sa.Integer):
            row[col.name] = 0
        elif isinstance(kind, sa.Float):
            row[col.name] = 0.0
        elif isinstance(kind, sa.LargeBinary):
            row[col.name] = b"x"
        elif isinstance(kind, sa.DateTime):
            row[col.name] = dt.datetime(2026, 1, 1)
        else:
            row[col.name] = "x"
    return row


def test_the_release_migration_keeps_problems_and_submissions_with_todays_behaviour(empty_url: str) -> None:
    migrations.upgrade(empty_url, "0006_overview")
    engine = create_engine(empty_url, poolclass=pool.NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        t = meta.tables
        with engine.begin() as conn:
            conn.execute(t["courses"].insert().values(_fill(t["courses"], id=1, slug="c", title="C")))
            conn.execute(t["users"].insert().values(_fill(t["users"], id=1, username="u", full_name="U")))
            conn.execute(
                t["problems"]
                .insert()
                .values(
                    _fill(t["problems"], id=1, course_id=1, slug="p", title="P", published=True, late_policy="accept")
                )
            )
            conn.execute(t["problem_versions"].insert().values(_fill(t["problem_versions"], id=1, problem_id=1)))
            conn.execute(
                t["submissions"]
                .insert()
                .values(_fill(t["submissions"], id=1, problem_id=1, version_id=1, user_id=1, state="graded", score=2.0))
            )
        migrations.upgrade(empty_url)
        with engine.connect() as conn:
            problem = conn.execute(sa.text("SELECT opens_at, results_held, results_release_at, counting FROM problems"))
            assert [tuple(r) for r in problem] == [(None, False, None, "best")]
            submission = conn.execute(sa.text("SELECT id, score, activated_at FROM submissions"))
            assert [tuple(r) for r in submission] == [(1, 2.0, None)]
    finally:
        engine.dispose()
    migrations.downgrade(empty_url, "0006_overview")
    assert migrations.current_revision(empty_url) == "0006_overview"
