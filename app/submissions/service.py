"""Submitting files, and who may read which submission and how much of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.service import CourseAccess, role_in
from app.db import utcnow
from app.db.models import (
    Course,
    LatePolicy,
    Problem,
    Role,
    Submission,
    SubmissionFile,
    SubmissionState,
    User,
)
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests
from app.problems.service import deadline_passed
from app.submissions.views import TestView, result_view
from grader.bundle import Bundle
from grader.grading import SubmissionError, validate_submission


def check_window(session: Session, problem: Problem, user: User, now: dt.datetime) -> bool:
    """Enforce the deadline and the quota for a student; returns whether the submission is late."""
    late = deadline_passed(problem, now)
    if late and problem.late_policy is LatePolicy.REJECT:
        assert problem.deadline is not None
        raise Forbidden(
            f"the deadline of {problem.slug} was {problem.deadline:%Y-%m-%d %H:%M} UTC and this problem "
            "does not accept late submissions"
        )
    if problem.quota_count is not None:
        since = now - dt.timedelta(seconds=problem.quota_window_seconds)
        times = list(
            session.scalars(
                select(Submission.created_at)
                .where(
                    Submission.problem_id == problem.id,
                    Submission.user_id == user.id,
                    Submission.regrade_id.is_(None),
                    Submission.created_at > since,
                )
                .order_by(Submission.created_at)
            )
        )
        if len(times) >= problem.quota_count:
            free_at = times[len(times) - problem.quota_count] + dt.timedelta(seconds=problem.quota_window_seconds)
            wait = max(1, int((free_at - now).total_seconds()) + 1)
            raise TooManyRequests(
                f"you have used all {problem.quota_count} submissions allowed for {problem.slug} in "
                f"{_duration(problem.quota_window_seconds)}; the next is allowed at {free_at:%Y-%m-%d %H:%M:%S} UTC",
                headers={"Retry-After": str(wait)},
            )
    return late


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class CheckedFiles:
    """Files found gradable against one version of a problem, and notes on how a notebook among them was read."""

    version_id: int
    files: Mapping[str, bytes]
    notes: list[str]


def check_files(bundle: Bundle, version_id: int, files: Mapping[str, bytes]) -> CheckedFiles:
    """Whether the files can be graded against the version. Done outside any write transaction: a notebook's
    check parses its cells in a child process, which must not hold SQLite's write lock."""
    try:
        notes = validate_submission(bundle, files).notes
    except SubmissionError as exc:
        raise Invalid("the submission cannot be graded; nothing was stored", errors=exc.errors) from None
    return CheckedFiles(version_id, files, notes)


def create_submission(
    session: Session,
    access: CourseAccess,
    problem: Problem,
    checked: CheckedFiles,
    user: User,
) -> Submission:
    """Store checked files as a queued job. The files are stored as sent (a notebook as the .ipynb); grading
    makes the modules again from them. The caller commits, then notifies the dispatcher."""
    if problem.current_version_id is None:
        raise Invalid(f"{problem.slug} has no version to grade against yet")
    if problem.current_version_id != checked.version_id:
        raise Invalid(f"a new version of {problem.slug} was made current while you submitted: submit again")
    now = utcnow()
    late = check_window(session, problem, user, now) if not access.is_instructor else deadline_passed(problem, now)
    submission = Submission(
        problem_id=problem.id,
        version_id=problem.current_version_id,
        user_id=user.id,
        created_at=now,
        late=late,
        state=SubmissionState.QUEUED,
        notified_at=now,
    )
    session.add(submission)
    session.flush()
    files = checked.files
    session.add_all(SubmissionFile(submission_id=submission.id, name=n, content=c) for n, c in sorted(files.items()))
    return submission


def stored_files(session: Session, owner: int) -> dict[str, bytes]:
    """The files stored with submission `owner`, by name."""
    rows = session.execute(
        select(SubmissionFile.name, SubmissionFile.content).where(SubmissionFile.submission_id == owner)
    )
    return {name: content for name, content in rows}


def late_penalty(session: Session, problem_id: int) -> float:
    """The fraction a late submission to the problem loses (0 unless its policy is a penalty)."""
    row = session.execute(select(Problem.late_penalty, Problem.late_policy).where(Problem.id == problem_id)).one()
    return float(row.late_penalty) if row.late_policy is LatePolicy.PENALTY else 0.0


@dataclass(frozen=True)
class Viewer:
    """Who is reading a submission, and whether they see hidden tests."""

    user: User
    is_instructor: bool


def readable_submission(session: Session, user: User, submission_id: int) -> tuple[Submission, Viewer]:
    """The submission if the user may read it; someone else's is 'not found', never 'forbidden'."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    course = session.get(Course, submission.problem.course_id)
    assert course is not None
    role = role_in(session, course, user)
    if role is Role.INSTRUCTOR:
        return submission, Viewer(user, True)
    if submission.user_id != user.id or submission.regrade_id is not None:
        raise NotFound(f"no submission {submission_id}")
    return submission, Viewer(user, False)


def reveals_hidden(problem: Problem, now: dt.datetime | None = None) -> bool:
    """Whether students see the problem's hidden tests in full: it says so, and its deadline has passed."""
    return problem.reveal_hidden_after_deadline and deadline_passed(problem, now)


@dataclass(frozen=True)
class SubmissionView:
    """What one viewer may read of a submission (times as ISO 8601 text).

    The fields from `attempt` on are the instructors': a student's view leaves them None.
    """

    id: int
    course: str
    problem: str
    user: str
    status: str
    created_at: str
    graded_at: str | None
    late: bool
    score: float | None
    raw_score: float | None
    max_score: float | None
    tests: list[TestView]
    metrics: dict[str, Any]
    stdout: str
    stderr: str
    output_truncated: bool
    failure_reason: str | None
    attempt: int | None = None
    infra_failures: int | None = None
    regrade_id: int | None = None
    source_id: int | None = None
    grading_seconds: float | None = None


def submission_view(submission: Submission, viewer: Viewer) -> SubmissionView:
    """What this viewer may read of a submission."""
    staff = viewer.is_instructor
    result = result_view(submission, staff=staff, reveal_hidden=reveals_hidden(submission.problem))
    failed = submission.state is SubmissionState.FAILED
    view = SubmissionView(
        id=submission.id,
        course=submission.problem.course.slug,
        problem=submission.problem.slug,
        user=submission.user.username,
        status=submission.state.value,
        created_at=submission.created_at.isoformat(),
        graded_at=submission.graded_at.isoformat() if submission.graded_at else None,
        late=submission.late,
        score=submission.score,
        raw_score=submission.raw_score,
        max_score=submission.max_score,
        tests=result.tests,
        metrics=result.metrics,
        stdout=result.stdout,
        stderr=result.stderr,
        output_truncated=result.output_truncated,
        failure_reason=failure_text(submission, staff=staff) if failed else None,
    )
    if not staff:
        return view
    return replace(
        view,
        attempt=submission.attempt,
        infra_failures=submission.infra_failures,
        regrade_id=submission.regrade_id,
        source_id=submission.source_id,
        grading_seconds=(submission.output or {}).get("seconds"),
    )


STUDENT_FAILURE = "grading failed for a reason outside your submission; your instructor has been told"


def failure_text(submission: Submission, *, staff: bool) -> str:
    """Why grading failed: the stored reason for staff (it may quote a job), a fixed sentence for students."""
    return (submission.failure_reason or "grading failed") if staff else STUDENT_FAILURE


@dataclass(frozen=True)
class SubmissionSummaryView:
    """A submission in a list: who, which problem, its state and score (times as ISO 8601 text)."""

    id: int
    problem: str
    user: str
    status: str
    created_at: str
    late: bool
    score: float | None
    max_score: float | None


def summary_view(submission: Submission) -> SubmissionSummaryView:
    return SubmissionSummaryView(
        id=submission.id,
        problem=submission.problem.slug,
        user=submission.user.username,
        status=submission.state.value,
        created_at=submission.created_at.isoformat(),
        late=submission.late,
        score=submission.score,
        max_score=submission.max_score,
    )


@dataclass(frozen=True)
class SubmissionFilter:
    problem: str | None = None
    user: str | None = None
    state: SubmissionState | None = None
    late: bool | None = None
    limit: int = 100
    offset: int = 0


def list_submissions(
    session: Session, access: CourseAccess, viewer: User, flt: SubmissionFilter
) -> tuple[int, list[Submission]]:
    """A student's own submissions, or any in the course for an instructor, newest first."""
    query = (
        select(Submission).join(Problem).where(Problem.course_id == access.course.id, Submission.regrade_id.is_(None))
    )
    if not access.is_instructor:
        query = query.where(Submission.user_id == viewer.id, Problem.published.is_(True))
    elif flt.user is not None:
        query = query.join(User, Submission.user_id == User.id).where(User.username == flt.user)
    if flt.problem is not None:
        query = query.where(Problem.slug == flt.problem)
    if flt.state is not None:
        query = query.where(Submission.state == flt.state)
    if flt.late is not None:
        query = query.where(Submission.late.is_(flt.late))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Submission.id.desc()).limit(flt.limit).offset(flt.offset))
    return total, list(rows)


def my_submissions(session: Session, user: User, limit: int = 100, offset: int = 0) -> list[Submission]:
    query = (
        select(Submission)
        .join(Problem)
        .where(Submission.user_id == user.id, Submission.regrade_id.is_(None))
        .order_by(Submission.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))
