"""Regrading every submission of a problem against a version: start, apply (keeping the record) or discard."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import (
    Priority,
    Problem,
    ProblemVersion,
    Regrade,
    RegradeState,
    Submission,
    SubmissionState,
    TestResult,
    User,
)
from app.errors import Conflict, NotFound
from app.regrades.table import RegradeView, live_rows, regrade_view

__all__ = [
    "RegradeView",
    "apply_regrade",
    "discard_regrade",
    "finished_regrades",
    "get_regrade",
    "pending_regrade",
    "regrade_view",
    "start_regrade",
]


def start_regrade(session: Session, problem: Problem, version: ProblemVersion, user: User) -> tuple[Regrade, list[int]]:
    """Queue a shadow copy of every official submission; returns the regrade and the jobs to notify."""
    busy = pending_regrade(session, problem)
    if busy is not None:
        raise Conflict(f"regrade {busy.id} of {problem.slug} is still pending: apply or discard it first")
    regrade = Regrade(problem_id=problem.id, version_id=version.id, created_by_id=user.id)
    session.add(regrade)
    session.flush()
    originals = session.execute(
        select(Submission.id, Submission.user_id, Submission.late, Submission.created_at).where(
            Submission.problem_id == problem.id,
            Submission.regrade_id.is_(None),
            Submission.state != SubmissionState.SUPERSEDED,  # never graded, never counted: not regraded either
        )
    )
    now = utcnow()
    shadows = [
        Submission(
            problem_id=problem.id,
            version_id=version.id,
            user_id=user_id,
            regrade_id=regrade.id,
            source_id=sid,
            created_at=created,
            late=late,
            state=SubmissionState.QUEUED,
            priority=Priority.REGRADE,
            queued_at=now,
            notified_at=now,
        )
        for sid, user_id, late, created in originals
    ]
    session.add_all(shadows)
    session.flush()
    return regrade, [s.id for s in shadows]


def pending_regrade(session: Session, problem: Problem) -> Regrade | None:
    return session.scalar(
        select(Regrade).where(Regrade.problem_id == problem.id, Regrade.state == RegradeState.PENDING)
    )


def finished_regrades(session: Session, problem: Problem, limit: int = 20) -> list[Regrade]:
    """The problem's applied and discarded regrades, newest first: their records stay readable."""
    return list(
        session.scalars(
            select(Regrade)
            .where(Regrade.problem_id == problem.id, Regrade.state != RegradeState.PENDING)
            .order_by(Regrade.id.desc())
            .limit(limit)
        )
    )


def get_regrade(session: Session, problem: Problem, regrade_id: int) -> Regrade:
    regrade = session.get(Regrade, regrade_id)
    if regrade is None or regrade.problem_id != problem.id:
        raise NotFound(f"no regrade {regrade_id} of {problem.slug}")
    return regrade


def apply_regrade(session: Session, regrade: Regrade, user: User) -> int:
    """Make the new scores official, keeping the before/after table and who applied it; returns how many
    submissions were regraded. All must be done first; one that could not be regraded keeps its old score."""
    if regrade.state is not RegradeState.PENDING:
        raise Conflict(f"regrade {regrade.id} was already {regrade.state.value}")
    shadows = list(session.scalars(select(Submission).where(Submission.regrade_id == regrade.id)))
    waiting = sum(1 for s in shadows if s.state in (SubmissionState.QUEUED, SubmissionState.RUNNING))
    if waiting:
        raise Conflict(f"{waiting} of {len(shadows)} submissions are still being regraded: apply when all are done")
    regrade.record = live_rows(session, regrade)
    regrade.applied_by_id = user.id
    applied = 0
    for shadow in shadows:
        if shadow.state is not SubmissionState.GRADED or shadow.source_id is None:
            continue  # the record's row says so: "could not be regraded ...; applying keeps its old score"
        session.execute(delete(TestResult).where(TestResult.submission_id == shadow.source_id))
        session.execute(
            update(TestResult).where(TestResult.submission_id == shadow.id).values(submission_id=shadow.source_id)
        )
        session.execute(
            update(Submission)
            .where(Submission.id == shadow.source_id)
            .values(
                version_id=shadow.version_id,
                score=shadow.score,
                raw_score=shadow.raw_score,
                max_score=shadow.max_score,
                metrics=shadow.metrics,
                output=shadow.output,
                graded_at=shadow.graded_at,
                state=SubmissionState.GRADED,
                failure_reason=None,
                # `adjustment` is left alone: manual adjustments apply on top of the new score
            )
            .execution_options(synchronize_session=False)
        )
        applied += 1
    _finish(session, regrade, RegradeState.APPLIED)
    return applied


def discard_regrade(session: Session, regrade: Regrade) -> None:
    if regrade.state is not RegradeState.PENDING:
        raise Conflict(f"regrade {regrade.id} was already {regrade.state.value}")
    _finish(session, regrade, RegradeState.DISCARDED)


def _finish(session: Session, regrade: Regrade, state: RegradeState) -> None:
    regrade.state = state
    regrade.finished_at = utcnow()
    # Shadows still queued are dropped; graded ones stay for the record until the regrade row goes.
    session.execute(
        delete(Submission).where(
            Submission.regrade_id == regrade.id, Submission.state.in_([SubmissionState.QUEUED, SubmissionState.RUNNING])
        )
    )
    session.expire_all()
