"""The submission row as a job: fenced claim, heartbeat, finish, retry, and the sweeper's queries.

Every write after the claim carries `attempt = <the claimed attempt>`, so a worker whose lease
expired (and whose job was claimed again) can no longer change the row: its writes match nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.config import QueueOrder
from app.db import utcnow
from app.db.models import Priority, Submission, SubmissionState, TestResult, User
from grader.grading import GradeReport

QUEUED, RUNNING, GRADED, FAILED = (
    SubmissionState.QUEUED,
    SubmissionState.RUNNING,
    SubmissionState.GRADED,
    SubmissionState.FAILED,
)


# The tables themselves, for Core statements that skip the ORM's bookkeeping on the hot path; the statements
# every graded submission runs are built once, with their values as parameters.
_SUBMISSIONS = cast(Table, Submission.__table__)
_TEST_RESULTS = cast(Table, TestResult.__table__)
_S = _SUBMISSIONS.c
_CLAIM = (
    update(_SUBMISSIONS)
    .where(
        _S.id == bindparam("p_id"),
        or_(_S.state == QUEUED, (_S.state == RUNNING) & (_S.lease_expires_at < bindparam("p_now"))),
    )
    .values(
        state=RUNNING,
        lease_owner=bindparam("p_owner"),
        lease_expires_at=bindparam("p_expires"),
        attempt=_S.attempt + 1,
        started_at=bindparam("p_now"),
    )
    .returning(
        _S.attempt, _S.created_at, _S.queued_at, _S.late, _S.problem_id, _S.version_id, _S.source_id, _S.priority
    )
)
# A write after the claim matches the row only while this claim still holds it (see `_fence`).
_FENCE = (_S.id == bindparam("p_id"), _S.attempt == bindparam("p_attempt"), _S.state == RUNNING)
_HEARTBEAT = update(_SUBMISSIONS).where(*_FENCE).values(lease_expires_at=bindparam("p_expires"))
_FINISH = (
    update(_SUBMISSIONS)
    .where(*_FENCE)
    .values(
        state=GRADED,
        score=bindparam("p_score"),
        raw_score=bindparam("p_raw"),
        max_score=bindparam("p_max"),
        metrics=bindparam("p_metrics", type_=_S.metrics.type),
        output=bindparam("p_output", type_=_S.output.type),
        graded_at=bindparam("p_graded"),
        lease_owner=None,
        lease_expires_at=None,
        failure_reason=None,
    )
)
_CLEAR_RESULTS = delete(_TEST_RESULTS).where(_TEST_RESULTS.c.submission_id == bindparam("p_id"))
_ADD_RESULTS = insert(_TEST_RESULTS)


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
    queued_at: dt.datetime  # when it joined the queue (a regrade's copy keeps its source's created_at)
    priority: Priority


def claim(session: Session, submission_id: int, owner: str, lease_seconds: float) -> Claimed | None:
    """Take the job if it is queued or its lease expired; None when someone else has it or it is done."""
    now = utcnow()
    expires = now + dt.timedelta(seconds=lease_seconds)
    result = session.execute(_CLAIM, {"p_id": submission_id, "p_now": now, "p_owner": owner, "p_expires": expires})
    row = result.one_or_none()
    if row is None:
        return None
    attempt, created_at, queued_at, late, problem_id, version_id, source_id, priority = row
    return Claimed(
        submission_id,
        attempt,
        owner,
        created_at,
        bool(late),
        problem_id,
        version_id,
        source_id or submission_id,
        queued_at or created_at,
        Priority(priority),
    )


LIVE, REGRADE = Priority.LIVE, Priority.REGRADE
_CANDIDATES = 8  # queued rows tried per claim: another slot may take (or lock) the first ones meanwhile


def active_jobs(now: dt.datetime) -> Any:
    """Queued and running rows, each with its priority class, its author's running count in that class, its
    turn (a queued row's place among its author's jobs of its class, counting the running ones first), and
    when its author's last live job started (`served`; None if none did): among equal turns the student
    served longest ago goes first, so a flooder whose job just ended does not jump ahead again."""
    klass = _S.priority
    author = (_S.user_id, klass)
    live_running = case(((_S.state == RUNNING) & (_S.lease_expires_at >= now), 1), else_=0)
    running = func.sum(live_running).over(partition_by=author)
    waiting = func.row_number().over(partition_by=(*author, _S.state), order_by=_S.id)
    past = _SUBMISSIONS.alias("past")
    served = (
        select(past.c.user_id, func.max(past.c.started_at).label("served"))
        .where(
            past.c.user_id.in_(select(_S.user_id).where(_S.state == QUEUED)),
            past.c.priority == LIVE,
            past.c.started_at.is_not(None),
        )
        .group_by(past.c.user_id)
        .subquery("served")
    )
    return (
        select(
            _S.id,
            _S.user_id,
            _S.state,
            klass.label("klass"),
            running.label("running"),
            (waiting + running).label("turn"),
            served.c.served,
        )
        .join_from(_SUBMISSIONS, served, served.c.user_id == _S.user_id, isouter=True)
        .where(_S.state.in_([QUEUED, RUNNING]))
        .subquery("active")
    )


def claim_order(active: Any, order: QueueOrder) -> tuple[Any, ...]:
    """The claim order: fair is (class, turn, least recently served, age); fifo is the order rows were made in."""
    if order is QueueOrder.FIFO:
        return (active.c.id,)
    return (active.c.klass, active.c.turn, active.c.served.asc().nulls_first(), active.c.id)


def next_candidates(
    session: Session, order: QueueOrder, running_per_student: int = 0, count: int = _CANDIDATES
) -> list[int]:
    """The first `count` queued jobs in claim order, leaving out the live jobs of students already at their limit."""
    active = active_jobs(utcnow())
    query = select(active.c.id).where(active.c.state == QUEUED)
    if running_per_student > 0:
        query = query.where((active.c.klass == REGRADE) | (active.c.running < running_per_student))
    return list(session.scalars(query.order_by(*claim_order(active, order)).limit(count)))


def claim_next(
    session: Session, owner: str, lease_seconds: float, order: QueueOrder, running_per_student: int = 0
) -> Claimed | None:
    """Claim the first claimable queued job in `order`; None when there is none.

    Each candidate is locked with SKIP LOCKED (PostgreSQL; SQLite serializes writers) so slots never wait
    for each other, and the author's limit is checked again under their row lock, as `student_busy` does."""
    for _ in range(3):  # a full round lost to other slots: look again
        candidates = next_candidates(session, order, running_per_student)
        if not candidates:
            return None
        for submission_id in candidates:
            locked = session.scalar(
                select(_S.id).where(_S.id == submission_id, _S.state == QUEUED).with_for_update(skip_locked=True)
            )
            if locked is None:
                continue
            if running_per_student > 0 and student_busy(session, submission_id, running_per_student) is not None:
                continue
            claimed = claim(session, submission_id, owner, lease_seconds)
            if claimed is not None:
                return claimed
    return None


def student_busy(session: Session, submission_id: int, limit: int) -> int | None:
    """The author's id when they already have `limit` jobs running (this one must wait), else None.

    A regrade's rows are the instructor's work and are never held back. The author's row is locked
    until the claim commits, so two slots cannot both decide one student has room (PostgreSQL)."""
    row = session.execute(
        select(Submission.user_id, Submission.regrade_id).where(Submission.id == submission_id)
    ).one_or_none()
    if row is None or row.regrade_id is not None or limit <= 0:
        return None
    session.execute(select(User.id).where(User.id == row.user_id).with_for_update())
    running = session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.user_id == row.user_id,
            Submission.id != submission_id,
            Submission.regrade_id.is_(None),
            Submission.state == RUNNING,
            Submission.lease_expires_at >= utcnow(),  # a job whose worker died holds no place
        )
    )
    return int(row.user_id) if (running or 0) >= limit else None


def next_waiting(session: Session, submission_id: int, count: int) -> list[int]:
    """The oldest `count` queued submissions (not a regrade's) of the same author, to wake once this one is done."""
    author = select(Submission.user_id).where(Submission.id == submission_id).scalar_subquery()
    return list(
        session.scalars(
            select(Submission.id)
            .where(Submission.user_id == author, Submission.state == QUEUED, Submission.regrade_id.is_(None))
            .order_by(Submission.id)
            .limit(count)
        )
    )


def _fence(claim: Claim) -> dict[str, int]:
    """The parameters of `_FENCE` for this claim."""
    return {"p_id": claim.submission_id, "p_attempt": claim.attempt}


def heartbeat(session: Session, claim: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer ours."""
    expires = utcnow() + dt.timedelta(seconds=lease_seconds)
    result = session.execute(_HEARTBEAT, {**_fence(claim), "p_expires": expires})
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def finish(session: Session, claim: Claim, report: GradeReport, *, late_penalty: float) -> bool:
    """Store the result if the job is still ours; False (nothing written) when the lease was lost."""
    raw = report.score
    score = round(raw * (1.0 - late_penalty), 6)
    # Core statements on the tables: a result is written with no ORM bookkeeping at all.
    output = {
        "stdout": clean_text(report.stdout),
        "stderr": clean_text(report.stderr),
        "output_truncated": report.output_truncated,
        "sandbox": report.sandbox,
        "seconds": round(report.seconds, 4),
        "version": report.version,
        "late_penalty": late_penalty,
    }
    values = {
        **_fence(claim),
        "p_score": score,
        "p_raw": raw,
        "p_max": report.max_score,
        "p_metrics": json_safe(report.metrics),
        "p_output": output,
        "p_graded": utcnow(),
    }
    result = session.execute(_FINISH, values)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(_CLEAR_RESULTS, {"p_id": claim.submission_id})
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
            "causes": t.causes,
            "accuracy": t.accuracy,
            "seconds": round(t.seconds, 4),
        }
        for i, t in enumerate(report.tests)
    ]
    if rows:
        session.execute(_ADD_RESULTS, rows)  # one executemany
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
    row = session.scalar(select(Submission).where(*_FENCE), _fence(claim))
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
