"""The next job is chosen fairly by the database: students before second submissions, live work before regrades."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config import QueueOrder
from app.db import utcnow
from app.db.models import Problem, ProblemVersion, Role, Submission, SubmissionState, User
from app.jobs import lease
from app.regrades.service import start_regrade
from grader.grading import GradeReport
from grader.grading import TestReport as Report
from tests.app.conftest import World, WorldFactory, load_toy

FAIR, FIFO = QueueOrder.FAIR, QueueOrder.FIFO


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)  # no slots: the test claims, as a slot would
    for name in ("flo", "bea", "cat"):
        world.user(name, role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _queue(world: World, who: str, count: int = 1, state: SubmissionState = SubmissionState.QUEUED) -> list[int]:
    """`count` rows of `who` in the queue, as intake stores them (one transaction each, oldest first)."""
    ids = []
    for _ in range(count):
        with world.db.session() as session:
            problem = session.scalars(select(Problem)).one()
            user = session.scalars(select(User).where(User.username == who)).one()
            assert problem.current_version_id is not None
            row = Submission(
                problem_id=problem.id,
                version_id=problem.current_version_id,
                user_id=user.id,
                state=state,
                queued_at=utcnow(),
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def _claims(world: World, count: int, order: QueueOrder, running_per_student: int = 0) -> list[int]:
    taken = []
    for i in range(count):
        with world.db.session() as session:
            claim = lease.claim_next(session, f"slot-{i}", 300.0, order, running_per_student)
        if claim is None:
            break
        taken.append(claim.submission_id)
    return taken


def test_a_flooders_twenty_jobs_do_not_delay_another_students_first(world: World) -> None:
    flood = _queue(world, "flo", 20)
    (bea,) = _queue(world, "bea")
    assert _claims(world, 2, FAIR) == [flood[0], bea]


def test_every_students_first_job_goes_before_anyones_second(world: World) -> None:
    flood = _queue(world, "flo", 5)
    bea = _queue(world, "bea", 2)
    (cat,) = _queue(world, "cat")
    assert _claims(world, 8, FAIR) == [flood[0], bea[0], cat, flood[1], bea[1], *flood[2:]]


def test_a_running_job_counts_as_the_students_first(world: World) -> None:
    flood = _queue(world, "flo", 3)
    assert _claims(world, 1, FAIR) == [flood[0]]  # still running
    (bea,) = _queue(world, "bea")
    assert _claims(world, 1, FAIR) == [bea]


def test_a_live_job_goes_before_a_whole_class_regrade(world: World) -> None:
    originals = _queue(world, "bea", 50, state=SubmissionState.GRADED)
    with world.db.session() as session:
        problem = session.scalars(select(Problem)).one()
        ian = session.scalars(select(User).where(User.username == "ian")).one()
        version = session.get(ProblemVersion, problem.current_version_id)
        assert version is not None
        _, shadows = start_regrade(session, problem, version, ian)
    assert len(shadows) == len(originals)
    (live,) = _queue(world, "cat")
    assert _claims(world, 1, FAIR) == [live]
    assert _claims(world, 3, FAIR) == shadows[:3]  # the regrade uses what live work leaves


def test_the_fifo_setting_keeps_first_come_first_served(world: World) -> None:
    flood = _queue(world, "flo", 3)
    (bea,) = _queue(world, "bea")
    assert _claims(world, 4, FIFO) == [*flood, bea]


def test_a_student_at_their_running_limit_is_skipped_not_waited_for(world: World) -> None:
    flood = _queue(world, "flo", 3)
    (bea,) = _queue(world, "bea")
    assert _claims(world, 3, FAIR, running_per_student=1) == [flood[0], bea]  # then nothing claimable
    with world.db.read() as session:
        assert session.get(Submission, flood[1]).state is SubmissionState.QUEUED  # type: ignore[union-attr]


def test_nothing_queued_claims_nothing(world: World) -> None:
    _queue(world, "bea", 2, state=SubmissionState.GRADED)
    assert _claims(world, 1, FAIR) == []


def _finish(world: World, claim: lease.Claimed) -> None:
    test = Report("t", "f", 1.0, 1.0, True, True, None, "ok")
    with world.db.session() as session:
        assert lease.finish(session, claim, GradeReport("toy-layers", "1", 1.0, 1.0, "graded", [test]), late_penalty=0)


def test_a_flooder_whose_job_ended_waits_for_the_students_served_longer_ago(world: World) -> None:
    flood = _queue(world, "flo", 3)
    bea, cat = _queue(world, "bea", 2), _queue(world, "cat")
    served = []
    for _ in range(6):  # one slot: each job ends before the next is claimed
        with world.db.session() as session:
            claim = lease.claim_next(session, "slot", 300.0, FAIR)
        assert claim is not None
        served.append(claim.submission_id)
        _finish(world, claim)
    assert served == [flood[0], bea[0], cat[0], flood[1], bea[1], flood[2]]
