"""A student's second job waits while their first runs; other students' jobs go ahead."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from sqlalchemy import select, update

from app.db.models import Role, Submission, SubmissionState
from app.jobs import lease
from app.runtime import Runtime
from grader.grading import GradeReport
from grader.grading import TestReport as Report
from grader.sandbox import Sandbox
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

GRADED, QUEUED = SubmissionState.GRADED, SubmissionState.QUEUED


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, running_per_student=1)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    world.keep_every_submission()  # a student's several jobs of one problem all wait their turn
    return world


def _submit(world: World, who: str) -> int:
    answer = world.submit(who, "toy-layers", solution_of(load_toy("toy-layers")))
    assert answer.status_code == 202
    return int(answer.json()["id"])


def _runtime(world: World) -> Runtime:
    runtime: Runtime = world.client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def _state(world: World, sid: int) -> SubmissionState:
    with world.db.read() as session:
        row = session.get(Submission, sid)
        assert row is not None
        return row.state


def _hold(world: World, sid: int) -> lease.Claimed:
    """Claim a job as another slot would while it grades."""
    with world.db.session() as session:
        claim = lease.claim(session, sid, "another-slot", 300.0)
    assert claim is not None
    return claim


def test_a_students_second_job_waits_while_their_first_runs_and_others_go_ahead(world: World, sandbox: Sandbox) -> None:
    first, second, other = _submit(world, "alice"), _submit(world, "alice"), _submit(world, "bob")
    held = _hold(world, first)
    grader = _runtime(world).grader
    assert grader.grade(second, sandbox) is None
    assert _state(world, second) is QUEUED
    assert grader.grade(other, sandbox) is GRADED
    with world.db.session() as session:
        test = Report("t", "f", 1.0, 1.0, True, True, None, "ok")
        assert lease.finish(session, held, GradeReport("toy-layers", "1", 1.0, 1.0, "graded", [test]), late_penalty=0)
    assert grader.grade(second, sandbox) is GRADED


def test_the_end_of_a_students_job_wakes_their_waiting_one(world: World, sandbox: Sandbox) -> None:
    first, second, _third, other = (
        _submit(world, "alice"),
        _submit(world, "alice"),
        _submit(world, "alice"),
        _submit(world, "bob"),
    )
    grader = _runtime(world).grader
    woken: list[int] = []
    grader.wake = woken.append
    assert grader.grade(first, sandbox) is GRADED
    assert woken == [second]  # the oldest waiting job of the same student, and nobody else's
    assert other not in woken
    woken.clear()
    _hold(world, second)
    assert grader.grade(_third, sandbox) is None
    assert woken == []  # a job that waits wakes nothing, so nothing spins


def test_a_job_whose_worker_died_holds_no_place(world: World, sandbox: Sandbox) -> None:
    first, second = _submit(world, "alice"), _submit(world, "alice")
    _hold(world, first)
    with world.db.session() as session:
        session.execute(update(Submission).where(Submission.id == first).values(lease_expires_at=lease.utcnow()))
    assert _runtime(world).grader.grade(second, sandbox) is GRADED


def test_two_slots_claiming_one_students_jobs_at_once_start_only_one(world: World) -> None:
    jobs = [_submit(world, "alice") for _ in range(2)]
    start = threading.Barrier(2)

    def claim(sid: int) -> bool:
        start.wait(30)
        with world.db.session() as session:
            if lease.student_busy(session, sid, 1) is not None:
                return False
            return lease.claim(session, sid, f"slot-{sid}", 300.0) is not None

    with ThreadPoolExecutor(2) as pool:
        claimed = list(pool.map(claim, jobs))
    assert claimed.count(True) == 1


def test_the_embedded_pool_grades_a_students_burst_one_at_a_time_without_waiting_for_the_sweeper(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    # The sweeper would only re-send after 10 minutes: every job here is graded because each end wakes the next.
    world = make_world(sqlite_url, slots=2, running_per_student=1, requeue_after_seconds=600)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    world.keep_every_submission()
    alice = [_submit(world, "alice") for _ in range(4)]
    bob = _submit(world, "bob")
    for sid in [*alice, bob]:
        assert wait_graded(world, "alice" if sid in alice else "bob", sid, timeout=120)["status"] == "graded"
    with world.db.read() as session:
        rows = session.execute(
            select(Submission.started_at, Submission.graded_at).where(Submission.id.in_(alice)).order_by(Submission.id)
        ).all()
    for before, after in pairwise(rows):
        assert before.graded_at <= after.started_at, "two of one student's jobs ran at the same time"
