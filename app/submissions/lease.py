"""The submission row as a job: fenced claim, heartbeat, finish, retry, and the sweeper's queries.

Every write after the claim carries `attempt = <the claimed attempt>`, so a worker whose lease
expired (and whose job was claimed again) can no longer change the row: its writes match nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import Submission, SubmissionState, TestResult
from grader.grading import GradeReport

QUEUED, RUNNING, GRADED, FAILED = (
    SubmissionState.QUEUED,
    SubmissionState.RUNNING,
    SubmissionState.GRADED,
    SubmissionState.FAILED,
)


# The tables themselves, for Core statements that skip the ORM's bookkeeping on the hot path.
_SUBMISSIONS = cast(Table, Submission.__table__)
_TEST_RESULTS = cast(Table, TestResult.__table__)


@dataclass(frozen=True)
class Claim:
    submission_id: int
    attempt: int
    owner: str


@dataclass(frozen=True)
class Claimed(Claim):
    """A fresh claim, with what grading the submission needs to know of its row (read by the claim itself)."""

    created_at: dt.datetime
    late: bool
    problem_id: int
    version_id: int
    files_from: int  # the submission whose files are graded (a regrade's shadow copy grades its source's)


def claim(session: Session, submission_id: int, owner: str, lease_seconds: float) -> Claimed | None:
    """Take the job if it is queued or its lease expired; None when someone else has it or it is done."""
    now = utcnow()
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            or_(
                Submission.state == QUEUED,
                (Submission.state == RUNNING) & (Submission.lease_expires_at < now),
            ),
        )
        .values(
            state=RUNNING,
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
            attempt=Submission.attempt + 1,
            started_at=now,
        )
        .returning(
            Submission.attempt,
            Submission.created_at,
            Submission.late,
            Submission.problem_id,
            Submission.version_id,
            Submission.source_id,
        )
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    if row is None:
        return None
    attempt, created_at, late, problem_id, version_id, source_id = row
    return Claimed(
        submission_id, attempt, owner, created_at, bool(late), problem_id, version_id, source_id or submission_id
    )


def _fenced(claim: Claim) -> list[object]:
    return [Submission.id == claim.submission_id, Submission.attempt == claim.attempt, Submission.state == RUNNING]


def heartbeat(session: Session, claim: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer ours."""
    result = session.execute(
        update(Submission)
        .where(*_fenced(claim))  # type: ignore[arg-type]
        .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def finish(session: Session, claim: Claim, report: GradeReport, *, late_penalty: float) -> bool:
    """Store the result if the job is still ours; False (nothing written) when the lease was lost."""
    raw = report.score
    score = round(raw * (1.0 - late_penalty), 6)
    # Core statements on the tables: a result is written with no ORM bookkeeping at all.
    result = session.execute(
        update(_SUBMISSIONS)
        .where(*_fenced(claim))  # type: ignore[arg-type]
        .values(
            state=GRADED,
            score=score,
            raw_score=raw,
            max_score=report.max_score,
            metrics=json_safe(report.metrics),
            output={
                "stdout": clean_text(report.stdout),
                "stderr": clean_text(report.stderr),
                "output_truncated": report.output_truncated,
                "sandbox": report.sandbox,
                "seconds": round(report.seconds, 4),
                "version": report.version,
                "late_penalty": late_penalty,
            },
            graded_at=utcnow(),
            lease_owner=None,
            lease_expires_at=None,
            failure_reason=None,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(delete(_TEST_RESULTS).where(TestResult.submission_id == claim.submission_id))
    rows = [
        {
            "submission_id": claim.submission_id,
            "position": i,
            "name": t.name,
            "function": t.function,
            "points": t.points,
            "max_points": t.max_points,
            "passed": t.passed,
            "visible": t.visible,
            "stage": t.stage,
            "feedback": clean_text(t.feedback),
            "diagnosis": [clean_text(d) for d in t.diagnosis],
            "accuracy": t.accuracy,
            "seconds": round(t.seconds, 4),
        }
        for i, t in enumerate(report.tests)
    ]
    if rows:
        session.execute(insert(_TEST_RESULTS), rows)  # one executemany
    return True


def clean_text(text: str) -> str:
    """Text a student's program produced, storable anywhere: PostgreSQL text refuses NUL characters."""
    return text.replace("\x00", "\ufffd")


def json_safe(value: Any) -> Any:
    """NaN and infinities become None: JSON has no spelling for them (PostgreSQL refuses them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def give_back(session: Session, claim: Claim, reason: str, max_attempts: int) -> SubmissionState | None:
    """An infrastructure failure: queue the job again, or fail it for good after `max_attempts` failures."""
    row = session.scalar(select(Submission).where(*_fenced(claim)))  # type: ignore[arg-type]
    if row is None:
        return None
    row.infra_failures += 1
    row.lease_owner = None
    row.lease_expires_at = None
    if row.infra_failures >= max_attempts:
        row.state = FAILED
        row.failure_reason = f"grading failed {row.infra_failures} times for reasons outside the submission: {reason}"
        row.graded_at = utcnow()
    else:
        row.state = QUEUED
        row.failure_reason = reason
        row.notified_at = utcnow()
    state: SubmissionState = row.state
    return state


@dataclass
class SweepResult:
    requeued: list[int]  # expired leases put back in the queue
    renotify: list[int]  # queued rows nobody picked up in time
    failed: list[int]  # too many attempts


def sweep(session: Session, *, requeue_after: float, max_attempts: int, limit: int = 1000) -> SweepResult:
    """Recover lost work: expired leases back to queued (or failed), stale queued rows sent again."""
    now = utcnow()
    result = SweepResult([], [], [])
    expired = session.scalars(
        select(Submission)
        .where(Submission.state == RUNNING, Submission.lease_expires_at < now)
        .order_by(Submission.id)
        .limit(limit)
    )
    for row in expired:
        row.lease_owner = None
        row.lease_expires_at = None
        if row.attempt >= max_attempts:
            row.state = FAILED
            row.failure_reason = (
                f"grading was interrupted {row.attempt} times (the grading process stopped or lost its lease)"
            )
            row.graded_at = now
            result.failed.append(row.id)
        else:
            row.state = QUEUED
            row.notified_at = now
            result.requeued.append(row.id)
    stale = now - dt.timedelta(seconds=requeue_after)
    for row in session.scalars(
        select(Submission)
        .where(
            Submission.state == QUEUED,
            or_(Submission.notified_at.is_(None), Submission.notified_at < stale),
            Submission.id.not_in(result.requeued) if result.requeued else Submission.id.isnot(None),
        )
        .order_by(Submission.id)
        .limit(limit)
    ):
        row.notified_at = now
        result.renotify.append(row.id)
    return result


def queued_ids(session: Session, limit: int = 100_000) -> list[int]:
    """Every queued job, oldest first (at start-up, the embedded pool takes them all)."""
    return list(
        session.scalars(select(Submission.id).where(Submission.state == QUEUED).order_by(Submission.id).limit(limit))
    )
