"""The submission row as a job: fenced claims, lost leases, the sweeper, and infrastructure retries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.db import models
from app.db.models import Role, Submission, SubmissionState
from app.jobs import lease
from grader.grading import GradeReport
from grader.grading import TestReport as Report
from tests.app.conftest import World, WorldFactory, load_toy, solution_of


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    return world


def _queued(world: World) -> int:
    answer = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers")))
    assert answer.status_code == 202
    return int(answer.json()["id"])


def _report(score: float) -> GradeReport:
    test = Report("t", "f", score, 1.0, score == 1.0, True, None, "ok")
    return GradeReport("toy-layers", "1", score, 1.0, "graded", [test])


def _expire(world: World, sid: int) -> None:
    with world.db.session() as s:
        s.execute(
            update(Submission)
            .where(Submission.id == sid)
            .values(lease_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )


def test_a_job_is_claimed_once(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        first = lease.claim(s, sid, "w1", 30)
    with world.db.session() as s:
        second = lease.claim(s, sid, "w2", 30)
    assert first is not None and first.attempt == 1
    assert second is None


def test_a_worker_whose_lease_expired_cannot_overwrite_the_newer_attempt(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        old = lease.claim(s, sid, "slow", 30)
    assert old is not None
    _expire(world, sid)
    with world.db.session() as s:
        new = lease.claim(s, sid, "fresh", 30)
    assert new is not None and new.attempt == 2
    with world.db.session() as s:
        assert lease.finish(s, new, _report(1.0), late_penalty=0.0)
    with world.db.session() as s:
        assert not lease.finish(s, old, _report(0.0), late_penalty=0.0)
        assert not lease.heartbeat(s, old, 30)
        assert lease.give_back(s, old, "late failure", 3) is None
    with world.db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None
        assert (row.state, row.score, row.attempt) == (SubmissionState.GRADED, 1.0, 2)
        assert len(list(s.scalars(select(models.TestResult).where(models.TestResult.submission_id == sid)))) == 1


def test_heartbeat_keeps_the_lease_alive(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        claim = lease.claim(s, sid, "w", 1)
    assert claim is not None
    with world.db.session() as s:
        assert lease.heartbeat(s, claim, 300)
    with world.db.session() as s:
        assert lease.claim(s, sid, "other", 30) is None
        result = lease.sweep(s, requeue_after=60, max_attempts=3)
    assert sid not in result.requeued


def test_the_sweeper_returns_expired_leases_to_the_queue(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        assert lease.claim(s, sid, "crashed", 30) is not None
    _expire(world, sid)
    with world.db.session() as s:
        result = lease.sweep(s, requeue_after=60, max_attempts=3)
    assert result.requeued == [sid]
    with world.db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None and row.state is SubmissionState.QUEUED and row.lease_owner is None


def test_the_sweeper_fails_a_job_interrupted_too_often_with_the_reason(world: World) -> None:
    sid = _queued(world)
    for _ in range(3):
        with world.db.session() as s:
            assert lease.claim(s, sid, "crashing", 30) is not None
        _expire(world, sid)
    with world.db.session() as s:
        result = lease.sweep(s, requeue_after=60, max_attempts=3)
    assert result.failed == [sid]
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert body["status"] == "failed"
    assert "outside your submission" in body["failure_reason"]


def test_the_sweeper_resends_queued_jobs_nobody_took(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        assert lease.sweep(s, requeue_after=60, max_attempts=3).renotify == []
        s.execute(
            update(Submission)
            .where(Submission.id == sid)
            .values(notified_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )
    with world.db.session() as s:
        assert lease.sweep(s, requeue_after=60, max_attempts=3).renotify == [sid]


def test_infrastructure_failures_retry_then_fail(world: World) -> None:
    sid = _queued(world)
    states = []
    for _ in range(3):
        with world.db.session() as s:
            claim = lease.claim(s, sid, "w", 30)
            assert claim is not None
        with world.db.session() as s:
            states.append(lease.give_back(s, claim, "sandbox exploded", max_attempts=3))
    assert states == [SubmissionState.QUEUED, SubmissionState.QUEUED, SubmissionState.FAILED]
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert body["status"] == "failed" and "sandbox" not in body["failure_reason"]
    with world.db.session() as s:
        row = s.get(Submission, sid)
        assert row is not None and "sandbox exploded" in (row.failure_reason or "")


def test_a_late_penalty_is_taken_off_the_stored_score(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        claim = lease.claim(s, sid, "w", 30)
        assert claim is not None
    with world.db.session() as s:
        assert lease.finish(s, claim, _report(1.0), late_penalty=0.25)
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (body["score"], body["raw_score"]) == (0.75, 1.0)


def test_a_history_with_nan_and_infinity_is_stored_on_every_database(world: World) -> None:
    sid = _queued(world)
    with world.db.session() as s:
        claim = lease.claim(s, sid, "w", 30)
        assert claim is not None
    report = _report(1.0)
    # metrics are per test: the history of the visible test "t", which its student sees
    report.metrics = {"history": {"t": [1.0, float("nan"), float("inf"), 0.5]}, "accuracy": {"t": 0.9}}
    with world.db.session() as s:
        assert lease.finish(s, claim, report, late_penalty=0.0)
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert body["metrics"]["history"]["t"] == [1.0, None, None, 0.5]
