"""Scale-out: web and worker processes on PostgreSQL and Redis; nothing is lost or graded twice when things die."""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
import urllib.request

import pytest
from sqlalchemy import func, select, text, update

from app.db.models import Submission, SubmissionFile, SubmissionState, TestResult
from bench._servers import free_port, multipart
from tests.app.conftest import load_toy, solution_of
from tests.distributed.conftest import Cluster

CORRECT = solution_of(load_toy("toy-layers"))["toy.py"]
WRONG = CORRECT + b"\n" + load_toy("toy-layers").files["mistakes/mse_sum.py"]
EXPECTED = {CORRECT: 6.0, WRONG: 3.0}  # the scores of a run without faults


def _post(cluster: Cluster, web: object, token: str, source: bytes) -> int:
    body, ctype = multipart("files", {"toy.py": source})
    status, created = web.request(  # type: ignore[attr-defined]
        "POST", "/api/v1/courses/dl/problems/toy-layers/submissions", token, body, ctype
    )
    assert status == 202, created
    return int(created["id"])


def _graded(cluster: Cluster) -> int:
    return cluster.counts().get("graded", 0)


def _wait_graded_at_least(cluster: Cluster, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _graded(cluster) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {n} graded: {cluster.counts()}\n{cluster.logs()}")
        time.sleep(0.1)


def _check_each_graded_once(cluster: Cluster, sources: dict[int, bytes]) -> None:
    with cluster.db.session() as session:
        rows = {s.id: s for s in session.scalars(select(Submission))}
        results = dict(
            session.execute(select(TestResult.submission_id, func.count()).group_by(TestResult.submission_id)).all()
        )
    assert set(rows) == set(sources)
    wrong = {
        sid: (rows[sid].state, rows[sid].score)
        for sid in sources
        if (rows[sid].state, rows[sid].score) != (SubmissionState.GRADED, EXPECTED[sources[sid]])
    }
    assert wrong == {}, f"submissions not graded as a run without faults would: {wrong}"
    assert all(results.get(sid) == 4 for sid in sources), "a submission has missing or duplicated test results"


@pytest.mark.slow
def test_a_burst_survives_a_killed_worker_and_a_redis_restart(cluster: Cluster) -> None:
    tokens = [cluster.student(f"s{i}") for i in range(10)]
    web = cluster.start_web()
    doomed = cluster.start_worker()
    cluster.start_worker()
    sources: dict[int, bytes] = {}
    total = 300
    for i in range(total):
        source = CORRECT if i % 2 == 0 else WRONG
        sources[_post(cluster, web, tokens[i % len(tokens)], source)] = source
        if i == 100:
            _wait_graded_at_least(cluster, 20)
            doomed.send_signal(signal.SIGKILL)  # mid-job most likely: its lease must expire and be recovered
            doomed.wait(10)
            cluster.start_worker()
        if i == 200:
            cluster.redis.restart()  # every message Redis held is gone; the sweeper must resend
    cluster.wait_all_done(total, timeout=600)
    _check_each_graded_once(cluster, sources)


@pytest.mark.slow
def test_a_submission_committed_but_never_sent_is_graded_by_the_sweeper(cluster: Cluster) -> None:
    """What a web process killed between its commit and its notify leaves behind: a row and no message."""
    cluster.student("alice")
    with cluster.db.session() as session:
        from app.db.models import Problem, User

        problem = session.scalar(select(Problem))
        user = session.scalar(select(User).where(User.username == "alice"))
        assert problem is not None and user is not None and problem.current_version_id is not None
        row = Submission(
            problem_id=problem.id,
            version_id=problem.current_version_id,
            user_id=user.id,
            notified_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        session.add(SubmissionFile(submission_id=row.id, name="toy.py", content=CORRECT))
        sid = row.id
    port = free_port()
    cluster.start_worker(metrics_port=port)
    cluster.wait_all_done(1, timeout=120)
    _check_each_graded_once(cluster, {sid: CORRECT})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    assert 'gradelab_graded_total{outcome="graded"} 1.0' in metrics
    assert "gradelab_grading_seconds_count 1.0" in metrics


@pytest.mark.slow
def test_a_worker_recovers_from_losing_its_database_connections(cluster: Cluster) -> None:
    token = cluster.student("alice")
    web = cluster.start_web()
    cluster.start_worker()
    slow = b"import time\ntime.sleep(2)\n" + CORRECT
    sid = _post(cluster, web, token, slow)
    deadline = time.monotonic() + 60
    while cluster.counts().get("running", 0) == 0:
        assert time.monotonic() < deadline, cluster.logs()
        time.sleep(0.05)
    with cluster.db.engine.connect() as conn:  # cut every other connection to this database, as a failover would
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert killed and killed >= 1
    cluster.wait_all_done(1, timeout=120)
    with cluster.db.session() as session:
        row = session.get(Submission, sid)
        assert row is not None and row.state is SubmissionState.GRADED and row.score == 6.0
    assert json.dumps(cluster.counts()) == json.dumps({"graded": 1})


def test_an_expired_lease_cannot_overwrite_the_newer_attempt_on_postgresql(cluster: Cluster) -> None:
    from app.jobs import lease
    from grader.grading import GradeReport
    from grader.grading import TestReport as Report

    token = cluster.student("alice")
    web = cluster.start_web()
    sid = _post(cluster, web, token, CORRECT)
    with cluster.db.session() as session:
        old = lease.claim(session, sid, "old", 30)
    with cluster.db.session() as session:
        session.execute(update(Submission).values(lease_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with cluster.db.session() as session:
        new = lease.claim(session, sid, "new", 30)
    assert old is not None and new is not None and new.attempt == old.attempt + 1

    def report(score: float) -> GradeReport:
        return GradeReport(
            "toy-layers", "1", score, 6.0, "graded", [Report("t", "f", score, 6.0, True, True, None, "")]
        )

    with cluster.db.session() as session:
        assert lease.finish(session, new, report(6.0), late_penalty=0.0)
    with cluster.db.session() as session:
        assert not lease.finish(session, old, report(0.0), late_penalty=0.0)
    with cluster.db.session() as session:
        row = session.get(Submission, sid)
        assert row is not None and row.score == 6.0


@pytest.mark.slow
def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(cluster: Cluster) -> None:
    token = cluster.student("alice")
    web = cluster.start_web()
    worker = cluster.start_worker()
    sid = _post(cluster, web, token, b"import time\ntime.sleep(2)\n" + CORRECT)
    deadline = time.monotonic() + 60
    while cluster.counts().get("running", 0) == 0:
        assert time.monotonic() < deadline, cluster.logs()
        time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(60) == 0
    with cluster.db.session() as session:
        row = session.get(Submission, sid)
        assert row is not None and row.state is SubmissionState.GRADED and row.attempt == 1, cluster.logs()


def test_only_one_process_holds_the_sweeper_lock(cluster: Cluster) -> None:
    from app.db import Database
    from app.jobs.leader import LeaderLock

    first, second = Database(cluster.url), Database(cluster.url)
    a, b = LeaderLock(first), LeaderLock(second)
    try:
        assert a.held() and not b.held()
        assert a.held()  # held again on the next sweep, without asking twice
        a.release()
        assert b.held() and not a.held()
    finally:
        a.release()
        b.release()
        first.dispose()
        second.dispose()
