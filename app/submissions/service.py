"""Submitting files, and who may read which submission and how much of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session

from app.adjustments.service import AdjustmentView, adjusted_score, adjustment_views
from app.courses import deadlines
from app.courses.service import CourseAccess, courses_of, role_in
from app.db import utcnow
from app.db.models import (
    Course,
    LatePolicy,
    Priority,
    Problem,
    Role,
    Submission,
    SubmissionFile,
    SubmissionState,
    User,
)
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests
from app.jobs.standing import QueuePlace
from app.problems.release import open_clause, results_released
from app.problems.service import deadline_passed
from app.submissions.views import TestView, result_view
from grader.bundle import Bundle
from grader.grading import SubmissionError, validate_submission


def check_window(session: Session, problem: Problem, user: User, now: dt.datetime) -> deadlines.Terms:
    """Enforce the student's own deadline (after late days) and quota; returns what the submission would be."""
    terms = deadlines.terms_for(session, problem, user.id, now)
    if terms.late and problem.late_policy is LatePolicy.REJECT:
        assert terms.deadline is not None
        whose = "your extended deadline" if terms.extended else "the deadline"
        raise Forbidden(
            f"{whose} of {problem.slug} was {terms.deadline:%Y-%m-%d %H:%M} UTC and this problem "
            f"does not accept late submissions{_late_days_note(terms)}"
        )
    quota = deadlines.quota_for(session, problem, user.id)
    if quota is not None:
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
        if len(times) >= quota:
            free_at = times[len(times) - quota] + dt.timedelta(seconds=problem.quota_window_seconds)
            wait = max(1, int((free_at - now).total_seconds()) + 1)
            raise TooManyRequests(
                f"you have used all {quota} submissions allowed for {problem.slug} in "
                f"{_duration(problem.quota_window_seconds)}; the next is allowed at {free_at:%Y-%m-%d %H:%M:%S} UTC",
                headers={"Retry-After": str(wait)},
            )
    return terms


def _late_days_note(terms: deadlines.Terms) -> str:
    """Why late days do not cover this submission, when the course has any."""
    if terms.bank.bank == 0:
        return ""
    if terms.days_needed > terms.max_on_problem:
        return (
            f" (it would need {terms.days_needed} late day(s); at most {terms.max_on_problem} may be used "
            "on this problem)"
        )
    return f" (it would need {terms.days_needed} late day(s) and you have {terms.bank.left} left)"


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
    if access.is_staff:  # staff are not held to the deadline or the quota, and spend no late days
        late, late_days = deadline_passed(problem, now), 0
    else:
        terms = check_window(session, problem, user, now)
        late, late_days = terms.late, terms.late_days
    submission = Submission(
        problem_id=problem.id,
        version_id=problem.current_version_id,
        user_id=user.id,
        created_at=now,
        late=late,
        late_days=late_days,
        state=SubmissionState.QUEUED,
        queued_at=now,
        notified_at=now,
    )
    session.add(submission)
    session.flush()
    files = checked.files
    session.add_all(SubmissionFile(submission_id=submission.id, name=n, content=c) for n, c in sorted(files.items()))
    if problem.supersede_queued:
        supersede_waiting(session, submission)
    return submission


def supersede_waiting(session: Session, newer: Submission) -> list[int]:
    """The author's older submissions to the same problem still waiting in the queue become superseded by
    `newer`: kept and shown, never graded. One that a slot is claiming at this moment (its row locked, on
    PostgreSQL) is left to be graded: waiting for that lock while holding the author's row lock, which the
    claim takes next, would deadlock."""
    waiting = list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.problem_id == newer.problem_id,
                Submission.user_id == newer.user_id,
                Submission.regrade_id.is_(None),
                Submission.state == SubmissionState.QUEUED,
                Submission.id < newer.id,
            )
            .with_for_update(skip_locked=True)
        )
    )
    if not waiting:
        return []
    result = session.execute(
        update(Submission)
        .where(Submission.id.in_(waiting), Submission.state == SubmissionState.QUEUED)
        .values(state=SubmissionState.SUPERSEDED, superseded_by_id=newer.id)
        .returning(Submission.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def requeue(session: Session, user: User, submission_id: int) -> tuple[Submission, Viewer]:
    """Staff put a superseded submission back in the queue, as background work (after live submissions).
    The caller commits, then notifies the dispatcher."""
    submission, viewer = readable_submission(session, user, submission_id)
    if not viewer.is_staff:
        raise Forbidden("only the course's staff (instructors and TAs) can queue a submission again")
    if submission.state is not SubmissionState.SUPERSEDED:
        raise Invalid(
            f"submission {submission.id} is {submission.state.value}; only a superseded submission can be "
            "queued again (a regrade grades graded ones again)"
        )
    now = utcnow()
    submission.state = SubmissionState.QUEUED
    submission.priority = Priority.REGRADE
    submission.queued_at = now
    submission.notified_at = now
    return submission, viewer


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
    """Who is reading a submission, and whether they read it as staff (hidden tests, staff fields, adjusting)."""

    user: User
    is_staff: bool


def readable_submission(session: Session, user: User, submission_id: int) -> tuple[Submission, Viewer]:
    """The submission if the user may read it; someone else's is 'not found', never 'forbidden'."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    course = session.get(Course, submission.problem.course_id)
    assert course is not None
    role = role_in(session, course, user)
    if role in (Role.INSTRUCTOR, Role.TA):
        return submission, Viewer(user, True)
    if submission.user_id != user.id or submission.regrade_id is not None:
        raise NotFound(f"no submission {submission_id}")
    return submission, Viewer(user, False)


def staff_submission(session: Session, user: User, submission_id: int) -> Submission:
    """A submission for its course's staff to grade by hand; its own student is refused, anyone else finds nothing."""
    submission, viewer = readable_submission(session, user, submission_id)
    if not viewer.is_staff:
        raise Forbidden("only instructors and TAs of the course adjust scores and answer regrade requests")
    return submission


def reveals_hidden(problem: Problem, now: dt.datetime | None = None) -> bool:
    """Whether students see the problem's hidden tests in full: it says so, and every deadline of it (extensions
    included) has passed; see app/courses/deadlines.py."""
    session = object_session(problem)
    assert session is not None, "the problem must be read in a session"
    return deadlines.reveals_hidden(session, problem, now)


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
    superseded_by: int | None = None  # the newer submission that replaced this one while it waited
    queue: QueuePlace | None = None  # its place in the queue while it waits
    late_days: int = 0  # late days this submission spent (then it is not late)
    adjustment: float = 0.0
    adjusted_score: float | None = None
    adjustments: list[AdjustmentView] = field(default_factory=list)
    attempt: int | None = None
    infra_failures: int | None = None
    regrade_id: int | None = None
    source_id: int | None = None
    grading_seconds: float | None = None
    # False while the problem's results are held from its students: the view says "received" and no more
    results_released: bool = True


RECEIVED = "received"  # the status a student reads of a finished submission while its results are held


def held_from(submission: Submission, *, staff: bool) -> bool:
    """Whether this viewer must not see the submission's result yet: a student, and the problem holds results."""
    return not staff and not results_released(submission.problem)


def shown_status(submission: Submission, *, staff: bool) -> str:
    """The status this viewer reads: a finished submission whose results are held is only "received"."""
    finished = submission.state in (SubmissionState.GRADED, SubmissionState.FAILED)
    return RECEIVED if finished and held_from(submission, staff=staff) else submission.state.value


def _held_view(submission: Submission, queue: QueuePlace | None) -> SubmissionView:
    """A student's view of a submission whose results are held: that it arrived, and nothing of its result."""
    return SubmissionView(
        id=submission.id,
        course=submission.problem.course.slug,
        problem=submission.problem.slug,
        user=submission.user.username,
        status=shown_status(submission, staff=False),
        created_at=submission.created_at.isoformat(),
        graded_at=None,
        late=submission.late,
        score=None,
        raw_score=None,
        max_score=None,
        tests=[],
        metrics={},
        stdout="",
        stderr="",
        output_truncated=False,
        failure_reason=None,
        superseded_by=submission.superseded_by_id,
        queue=queue if submission.state is SubmissionState.QUEUED else None,
        late_days=submission.late_days,
        results_released=False,
    )


def submission_view(submission: Submission, viewer: Viewer, queue: QueuePlace | None = None) -> SubmissionView:
    """What this viewer may read of a submission; `queue` is its place while it waits (`standing.queue_place`)."""
    staff = viewer.is_staff
    if held_from(submission, staff=staff):
        return _held_view(submission, queue)
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
        superseded_by=submission.superseded_by_id,
        queue=queue if submission.state is SubmissionState.QUEUED else None,
        late_days=submission.late_days,
        adjustment=submission.adjustment,
        adjusted_score=adjusted_score(submission),
        adjustments=adjustment_views(list(submission.adjustments), staff=staff),
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
    late_days: int
    results_released: bool = True
    superseded_by: int | None = None  # the newer submission that replaced this one while it waited
    adjustment: float = 0.0
    adjusted_score: float | None = None


def summary_view(submission: Submission, *, staff: bool) -> SubmissionSummaryView:
    """A submission in a list as this viewer may read it (no score while its results are held from a student)."""
    held = held_from(submission, staff=staff)
    return SubmissionSummaryView(
        id=submission.id,
        problem=submission.problem.slug,
        user=submission.user.username,
        status=shown_status(submission, staff=staff),
        created_at=submission.created_at.isoformat(),
        late=submission.late,
        score=None if held else submission.score,
        max_score=None if held else submission.max_score,
        results_released=not held,
        late_days=submission.late_days,
        superseded_by=submission.superseded_by_id,
        adjustment=0.0 if held else submission.adjustment,
        adjusted_score=None if held else adjusted_score(submission),
    )


def graded_score(submission: Submission, *, staff: bool) -> float | None:
    """The score this viewer may read of a graded submission (None: not graded, or its results are held)."""
    if submission.state is not SubmissionState.GRADED or held_from(submission, staff=staff):
        return None
    return submission.score


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
    """A student's own submissions, or any in the course for staff, newest first."""
    query = (
        select(Submission).join(Problem).where(Problem.course_id == access.course.id, Submission.regrade_id.is_(None))
    )
    if not access.is_staff:
        query = query.where(Submission.user_id == viewer.id, open_clause())
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


def staff_course_ids(session: Session, user: User) -> set[int]:
    """The courses in which the user is staff: there they read their own results even while held."""
    return {course.id for course, role in courses_of(session, user) if role is Role.INSTRUCTOR}


def my_submissions(session: Session, user: User, limit: int = 100, offset: int = 0) -> list[SubmissionSummaryView]:
    """The user's own submissions in every course, newest first, as they may read them."""
    staff = staff_course_ids(session, user)
    query = (
        select(Submission)
        .join(Problem)
        .where(Submission.user_id == user.id, Submission.regrade_id.is_(None))
        .order_by(Submission.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [summary_view(s, staff=s.problem.course_id in staff) for s in session.scalars(query)]
