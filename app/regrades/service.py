"""Regrading every submission of a problem against a version, with a before/after table first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import (
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
from app.problems.changes import inputs_changed


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
            Submission.problem_id == problem.id, Submission.regrade_id.is_(None)
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


def get_regrade(session: Session, problem: Problem, regrade_id: int) -> Regrade:
    regrade = session.get(Regrade, regrade_id)
    if regrade is None or regrade.problem_id != problem.id:
        raise NotFound(f"no regrade {regrade_id} of {problem.slug}")
    return regrade


def regrade_view(session: Session, regrade: Regrade) -> dict[str, Any]:
    """The before/after table, one row per submission, and how far grading has got."""
    version = session.get(ProblemVersion, regrade.version_id)
    assert version is not None
    rows = []
    counts = {s.value: 0 for s in SubmissionState}
    shadows = session.scalars(
        select(Submission).where(Submission.regrade_id == regrade.id).order_by(Submission.source_id)
    )
    originals = {
        s.id: s
        for s in session.scalars(
            select(Submission).where(Submission.problem_id == regrade.problem_id, Submission.regrade_id.is_(None))
        )
    }
    for shadow in shadows:
        counts[shadow.state.value] += 1
        before = originals.get(shadow.source_id or -1)
        rows.append(
            {
                "submission_id": shadow.source_id,
                "user": shadow.user.username,
                "before": before.score if before else None,
                "after": shadow.score,
                "max_score": shadow.max_score,
                "change": None
                if before is None or before.score is None or shadow.score is None
                else round(shadow.score - before.score, 6),
                "status": shadow.state.value,
            }
        )
    return {
        "id": regrade.id,
        "problem": shadow_problem_slug(session, regrade),
        "version": version.number,
        "state": regrade.state.value,
        "created_at": regrade.created_at.isoformat(),
        "progress": counts,
        "done": counts["queued"] == 0 and counts["running"] == 0,
        "changed": sum(1 for r in rows if r["change"]),
        "rows": rows,
        "inputs_changed": inputs_changed_since(session, {s.version_id for s in originals.values()}, version),
    }


def inputs_changed_since(session: Session, version_ids: set[int], target: ProblemVersion) -> list[dict[str, Any]]:
    """Per version the submissions were graded on, the tests whose inputs the target version changed."""
    found = []
    for version_id in sorted(version_ids - {target.id}):
        source = session.get(ProblemVersion, version_id)
        if source is not None:
            tests = inputs_changed(source.check_report, target.check_report)
            found.append({"from_version": source.number, "tests": tests})
    return sorted(found, key=lambda item: item["from_version"])


def shadow_problem_slug(session: Session, regrade: Regrade) -> str:
    problem = session.get(Problem, regrade.problem_id)
    assert problem is not None
    return problem.slug


def apply_regrade(session: Session, regrade: Regrade) -> int:
    """Make the new scores official; returns how many submissions changed version. All must be done first."""
    if regrade.state is not RegradeState.PENDING:
        raise Conflict(f"regrade {regrade.id} was already {regrade.state.value}")
    shadows = list(session.scalars(select(Submission).where(Submission.regrade_id == regrade.id)))
    waiting = sum(1 for s in shadows if s.state in (SubmissionState.QUEUED, SubmissionState.RUNNING))
    if waiting:
        raise Conflict(f"{waiting} of {len(shadows)} submissions are still being regraded: apply when all are done")
    applied = 0
    for shadow in shadows:
        if shadow.state is not SubmissionState.GRADED or shadow.source_id is None:
            continue  # a regrade that failed for infrastructure reasons keeps the old official result
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
