"""Manual grading pages: adjusting a score, asking for and answering regrade requests, the course's queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.adjustments import service as adjustments
from app.api.deps import ReadSession, RuntimeDep
from app.api.params import Id
from app.courses import service as courses
from app.db.models import RequestState
from app.errors import Invalid, ServiceError
from app.regrade_requests import service as requests
from app.runtime import Runtime
from app.submissions.service import readable_submission, staff_submission
from app.web.pages import render_submission
from app.web.render import page
from app.web.session import CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)
TEXT = 2000


def _points(text: str, *, required: bool) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        if required:
            raise Invalid("the points are missing: how many to add (e.g. 2) or take away (e.g. -1.5)")
        return None
    try:
        return float(text)
    except ValueError:
        raise Invalid(f"the points {text[:20]!r} are not a number: write e.g. 2 or -1.5") from None


def _back(request: Request, runtime: Runtime, user: PageUser, sid: int, exc: ServiceError) -> Response:
    if exc.status == 404:
        raise exc
    extra = {"error": exc.detail[:1].upper() + exc.detail[1:] + ".", "errors": exc.errors}
    return render_submission(request, runtime, user, sid, extra, status=exc.status)


@router.post("/s/{submission_id}/adjustments", response_class=HTMLResponse, dependencies=[CsrfChecked])
def adjust(
    submission_id: Id,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    points: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form(max_length=TEXT)] = "",
    cancels: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Add points (or take them) with a comment; with `cancels`, remove an earlier adjustment (staff)."""
    try:
        with runtime.db.session() as session:
            submission = staff_submission(session, user, submission_id)
            if cancels is not None:
                adjustments.remove_adjustment(session, submission, user, cancels, comment)
            else:
                value = _points(points, required=True)
                assert value is not None
                adjustments.add_adjustment(session, submission, user, value, comment)
    except ServiceError as exc:
        return _back(request, runtime, user, submission_id, exc)
    return RedirectResponse(f"/s/{submission_id}#adjustments", status_code=303)


@router.post("/s/{submission_id}/regrade-requests", response_class=HTMLResponse, dependencies=[CsrfChecked])
def ask(
    submission_id: Id,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    reason: Annotated[str, Form(max_length=TEXT)] = "",
) -> Response:
    """A student asks staff to look again at their graded submission."""
    try:
        with runtime.db.session() as session:
            submission, _ = readable_submission(session, user, submission_id)
            requests.ask(session, submission, user, reason)
    except ServiceError as exc:
        return _back(request, runtime, user, submission_id, exc)
    return RedirectResponse(f"/s/{submission_id}#requests", status_code=303)


@router.post("/regrade-requests/{request_id}/answer", response_class=HTMLResponse, dependencies=[CsrfChecked])
def answer(
    request_id: Id,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=TEXT)] = "",
    points: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Staff answer an open request, optionally adjusting the score in the same form."""
    with runtime.db.read() as session:
        sid = requests.staff_request(session, user, request_id).submission_id
    try:
        with runtime.db.session() as session:
            row = requests.staff_request(session, user, request_id)
            requests.answer(session, row, user, text, _points(points, required=False))
    except ServiceError as exc:
        return _back(request, runtime, user, sid, exc)
    return RedirectResponse(f"/s/{sid}#requests", status_code=303)


@router.post("/regrade-requests/{request_id}/withdraw", response_class=HTMLResponse, dependencies=[CsrfChecked])
def withdraw(request_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    """A student withdraws their own open request."""
    with runtime.db.read() as session:
        sid = requests.readable_request(session, user, request_id)[0].submission_id
    try:
        with runtime.db.session() as session:
            row, _ = requests.readable_request(session, user, request_id)
            requests.withdraw(session, row, user)
    except ServiceError as exc:
        return _back(request, runtime, user, sid, exc)
    return RedirectResponse(f"/s/{sid}#requests", status_code=303)


@router.get("/c/{course}/regrade-requests", response_class=HTMLResponse)
def queue(course: str, request: Request, user: PageUser, session: ReadSession, state: str = "") -> Response:
    """The course's regrade requests for staff: open ones first, each linking to its submission."""
    access = courses.staff_access(session, course, user)
    if state and state not in {s.value for s in RequestState}:
        raise Invalid(f"state {state[:20]!r} is not one of {', '.join(s.value for s in RequestState)}")
    rows = requests.queue(session, access.course, RequestState(state) if state else None)
    context = {
        "user": user,
        "course": access.course,
        "rows": [requests.request_view(r, staff=True) for r in rows],
        "state": state,
        "states": [s.value for s in RequestState],
        "open_count": requests.open_count(session, access.course),
    }
    return page(request, "regrade_requests.html", context)
