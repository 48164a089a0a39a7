"""Regrade requests: a student asks staff to look again at a graded submission; staff answer, and may adjust.

A submission has at most one open request at a time. An answer is final (a new question is a new request);
the answer's adjustment, when there is one, is an ordinary manual adjustment whose comment is the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.adjustments.service import add_adjustment, check_comment
from app.db import utcnow
from app.db.models import Course, Problem, RegradeRequest, RequestState, Submission, SubmissionState, User
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.submissions.service import Viewer, held_from, readable_submission


def ask(session: Session, submission: Submission, student: User, reason: str) -> RegradeRequest:
    """Open a request on the student's own graded submission, unless one is open already."""
    if submission.user_id != student.id or submission.regrade_id is not None:
        raise NotFound(f"no submission {submission.id} of yours")
    if held_from(submission, staff=False):  # before the state, which a held result must not tell
        raise Invalid(
            f"the results of {submission.problem.slug} are not released yet: ask for a regrade once they are"
        )
    if submission.state is not SubmissionState.GRADED:
        raise Invalid(f"submission {submission.id} is {submission.state.value}: ask for a regrade once it is graded")
    text = check_comment(reason, "reason")
    # Hold the submission's row until the commit, so two requests at once cannot both be "the open one".
    session.execute(select(Submission.id).where(Submission.id == submission.id).with_for_update())
    open_one = session.scalar(
        select(RegradeRequest.id).where(
            RegradeRequest.submission_id == submission.id, RegradeRequest.state == RequestState.OPEN
        )
    )
    if open_one is not None:
        raise Conflict(f"your request {open_one} on submission {submission.id} is still open: wait for its answer")
    row = RegradeRequest(submission_id=submission.id, student_id=student.id, reason=text, state=RequestState.OPEN)
    session.add(row)
    session.flush()
    return row


def answer(session: Session, request: RegradeRequest, staff: User, text: str, points: float | None) -> RegradeRequest:
    """Answer an open request; with `points` (not 0), adjust the submission by them with the answer as comment."""
    if request.state is not RequestState.OPEN:
        raise Conflict(f"regrade request {request.id} is {request.state.value} already: it cannot be answered again")
    text = check_comment(text, "answer")
    if points is not None and math.isfinite(points) and points != 0:
        request.adjustment_id = add_adjustment(session, request.submission, staff, points, text).id
    elif points is not None and not math.isfinite(points):
        raise Invalid("the points must be a number: leave them empty to answer without adjusting")
    request.state = RequestState.ANSWERED
    request.answer = text
    request.answered_by_id = staff.id
    request.answered_at = utcnow()
    session.flush()
    session.expire(request, ["answered_by"])  # loaded as None with the request: read it again when asked
    return request


def withdraw(session: Session, request: RegradeRequest, student: User) -> RegradeRequest:
    """The student closes their own open request unanswered."""
    if request.student_id != student.id:
        raise NotFound(f"no regrade request {request.id} of yours")
    if request.state is not RequestState.OPEN:
        raise Conflict(f"regrade request {request.id} is {request.state.value}: only an open request can be withdrawn")
    request.state = RequestState.CLOSED
    session.flush()
    return request


def readable_request(session: Session, user: User, request_id: int) -> tuple[RegradeRequest, Viewer]:
    """A request for its student and the course's staff; anyone else finds nothing."""
    row = session.get(RegradeRequest, request_id)
    if row is None:
        raise NotFound(f"no regrade request {request_id}")
    try:
        _, viewer = readable_submission(session, user, row.submission_id)
    except NotFound:
        raise NotFound(f"no regrade request {request_id}") from None
    return row, viewer


def staff_request(session: Session, user: User, request_id: int) -> RegradeRequest:
    row, viewer = readable_request(session, user, request_id)
    if not viewer.is_staff:
        raise Forbidden("only instructors and TAs of the course answer regrade requests")
    return row


def of_submission(session: Session, submission_id: int) -> list[RegradeRequest]:
    return list(
        session.scalars(
            select(RegradeRequest).where(RegradeRequest.submission_id == submission_id).order_by(RegradeRequest.id)
        )
    )


def queue(
    session: Session, course: Course, state: RequestState | None = None, limit: int = 500
) -> list[RegradeRequest]:
    """The course's requests for staff: open ones first (oldest first), then the rest, newest first."""
    query = select(RegradeRequest).join(Submission).join(Problem).where(Problem.course_id == course.id)
    if state is not None:
        query = query.where(RegradeRequest.state == state)
    is_open = case((RegradeRequest.state == RequestState.OPEN, 0), else_=1)
    opened = case((RegradeRequest.state == RequestState.OPEN, RegradeRequest.id), else_=-RegradeRequest.id)
    return list(session.scalars(query.order_by(is_open, opened).limit(limit)))


def open_count(session: Session, course: Course) -> int:
    query = (
        select(func.count(RegradeRequest.id))
        .join(Submission)
        .join(Problem)
        .where(Problem.course_id == course.id, RegradeRequest.state == RequestState.OPEN)
    )
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class RequestView:
    """A regrade request as a viewer reads it; `answered_by` only for staff."""

    id: int
    submission_id: int
    course: str
    problem: str
    student: str
    reason: str
    state: str
    created_at: str
    answer: str | None
    answered_at: str | None
    adjustment_id: int | None
    answered_by: str | None


def request_view(row: RegradeRequest, *, staff: bool) -> RequestView:
    return RequestView(
        id=row.id,
        submission_id=row.submission_id,
        course=row.submission.problem.course.slug,
        problem=row.submission.problem.slug,
        student=row.student.username,
        reason=row.reason,
        state=row.state.value,
        created_at=row.created_at.isoformat(),
        answer=row.answer,
        answered_at=row.answered_at.isoformat() if row.answered_at else None,
        adjustment_id=row.adjustment_id,
        answered_by=(row.answered_by.username if row.answered_by else None) if staff else None,
    )
