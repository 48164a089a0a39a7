"""Alembic migrations go up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
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
