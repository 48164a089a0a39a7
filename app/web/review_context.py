"""What the submission page shows of manual grading: adjustments, regrade requests, and the forms a viewer may use."""

from __future__ import annotations

from typing import Any

from app.adjustments import service as adjustments
from app.db.models import RequestState, SubmissionState, User
from app.regrade_requests import service as requests
from app.runtime import Runtime
from app.submissions.service import held_from, readable_submission


def review_context(runtime: Runtime, user: User, submission_id: int) -> dict[str, Any]:
    with runtime.db.read() as session:
        submission, viewer = readable_submission(session, user, submission_id)
        official = submission.regrade_id is None
        graded = submission.state is SubmissionState.GRADED and official
        rows = requests.of_submission(session, submission.id)
        views = [requests.request_view(r, staff=viewer.is_staff) for r in rows]
        history = adjustments.adjustment_views(adjustments.history(session, submission.id), staff=viewer.is_staff)
        mine = submission.user_id == user.id
        held = held_from(submission, staff=False)  # a student asks about a result they can see
    has_open = any(r.state == RequestState.OPEN.value for r in views)
    return {
        "staff": viewer.is_staff,
        "adjustments": history,
        "requests": views,
        "can_adjust": viewer.is_staff and graded,
        "can_ask": mine and graded and not has_open and not held,
        "max_reason": adjustments.MAX_COMMENT,
    }
