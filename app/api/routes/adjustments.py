"""Manual adjustments of a submission's score, and regrade requests: asked by students, answered by staff."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, status

from app.adjustments import service as adjustments
from app.api.deps import CurrentUser, ReadSession, WriteSession
from app.api.params import Id
from app.api.schemas import (
    AdjustmentCreate,
    AdjustmentRead,
    RegradeRequestAnswer,
    RegradeRequestCreate,
    RegradeRequestRead,
)
from app.courses import service as courses
from app.db.models import RegradeRequest, RequestState
from app.errors import Invalid
from app.regrade_requests import service as requests
from app.submissions.service import readable_submission, staff_submission

router = APIRouter(tags=["adjustments and regrade requests"])


@router.get("/submissions/{submission_id}/adjustments", response_model=list[AdjustmentRead])
def list_adjustments(submission_id: Id, user: CurrentUser, session: ReadSession) -> list[AdjustmentRead]:
    """Every manual adjustment of the submission, oldest first (who made it: staff only)."""
    submission, viewer = readable_submission(session, user, submission_id)
    rows = adjustments.history(session, submission.id)
    return [AdjustmentRead(**asdict(v)) for v in adjustments.adjustment_views(rows, staff=viewer.is_staff)]


@router.post(
    "/submissions/{submission_id}/adjustments", status_code=status.HTTP_201_CREATED, response_model=AdjustmentRead
)
def add_adjustment(
    submission_id: Id, body: AdjustmentCreate, user: CurrentUser, session: WriteSession
) -> AdjustmentRead:
    """Add or take points on a graded submission with a comment its student reads (instructors and TAs); with
    `cancels`, remove an earlier adjustment by a new one of the opposite points. Nothing is ever edited."""
    submission = staff_submission(session, user, submission_id)
    if body.cancels is not None:
        if body.points is not None:
            raise Invalid("send either points (a new adjustment) or cancels (remove one), not both")
        row = adjustments.remove_adjustment(session, submission, user, body.cancels, body.comment)
    elif body.points is None:
        raise Invalid("the points are missing: how many to add (negative: take away)")
    else:
        row = adjustments.add_adjustment(session, submission, user, body.points, body.comment)
    view = adjustments.adjustment_views(adjustments.history(session, submission.id), staff=True)
    return AdjustmentRead(**asdict(next(v for v in view if v.id == row.id)))


def _read(row: RegradeRequest, *, staff: bool) -> RegradeRequestRead:
    return RegradeRequestRead(**asdict(requests.request_view(row, staff=staff)))


@router.get("/submissions/{submission_id}/regrade-requests", response_model=list[RegradeRequestRead])
def submission_requests(submission_id: Id, user: CurrentUser, session: ReadSession) -> list[RegradeRequestRead]:
    """The regrade requests on a submission and their answers."""
    submission, viewer = readable_submission(session, user, submission_id)
    return [_read(r, staff=viewer.is_staff) for r in requests.of_submission(session, submission.id)]


@router.post(
    "/submissions/{submission_id}/regrade-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=RegradeRequestRead,
)
def ask_regrade(
    submission_id: Id, body: RegradeRequestCreate, user: CurrentUser, session: WriteSession
) -> RegradeRequestRead:
    """Ask staff to look again at your graded submission, saying why; one open request per submission."""
    submission, _ = readable_submission(session, user, submission_id)
    return _read(requests.ask(session, submission, user, body.reason), staff=False)


@router.get("/courses/{course}/regrade-requests", response_model=list[RegradeRequestRead])
def course_requests(
    course: str, user: CurrentUser, session: ReadSession, state: RequestState | None = None
) -> list[RegradeRequestRead]:
    """The course's regrade requests (instructors and TAs): open ones first, oldest first."""
    access = courses.staff_access(session, course, user)
    return [_read(r, staff=True) for r in requests.queue(session, access.course, state)]


@router.post("/regrade-requests/{request_id}/answer", response_model=RegradeRequestRead)
def answer_request(
    request_id: Id, body: RegradeRequestAnswer, user: CurrentUser, session: WriteSession
) -> RegradeRequestRead:
    """Answer an open request (instructors and TAs), optionally adjusting the score by `points`."""
    row = requests.staff_request(session, user, request_id)
    return _read(requests.answer(session, row, user, body.answer, body.points), staff=True)


@router.post("/regrade-requests/{request_id}/withdraw", response_model=RegradeRequestRead)
def withdraw_request(request_id: Id, user: CurrentUser, session: WriteSession) -> RegradeRequestRead:
    """Withdraw your own open request."""
    row, viewer = requests.readable_request(session, user, request_id)
    return _read(requests.withdraw(session, row, user), staff=viewer.is_staff)
