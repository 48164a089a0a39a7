"""Instructor pages for uploads: the form, then the check's page, which follows it live until it ends."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import ReadSession, RuntimeDep
from app.api.params import Id
from app.courses import service as courses
from app.errors import ServiceError
from app.http.uploads import read_bundle
from app.problems import checks
from app.problems.changes import summary_lines
from app.problems.uploads import check_view, upload_bundle
from app.web.render import page
from app.web.session import CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)


@router.get("/c/{course}/upload", response_class=HTMLResponse)
def upload_form(course: str, request: Request, user: PageUser, session: ReadSession) -> Response:
    access = courses.instructor_access(session, course, user)
    return page(request, "upload.html", {"user": user, "course": access.course})


@router.post("/c/{course}/upload", response_class=HTMLResponse, dependencies=[CsrfChecked])
def upload(
    course: str,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    bundle: Annotated[UploadFile, File()],
    slug: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """A new problem, or (with `slug`) a new version of one; then the page of its check."""
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
    try:
        data = read_bundle(bundle, runtime.settings.max_bundle_bytes)
        check_id = upload_bundle(runtime, user, course, slug or None, data).id
    except ServiceError as exc:
        context = {"user": user, "course": access.course, "error": exc.detail, "errors": exc.errors, "slug": slug}
        return page(request, "upload.html", context, status_code=exc.status)
    return RedirectResponse(f"/c/{course}/upload-checks/{check_id}", status_code=303)


def _check_context(runtime: Any, user: Any, course: str, check_id: int) -> dict[str, Any]:
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
        view = check_view(checks.get_check(session, access.course, check_id), course)
    items = (view.report or {}).get("items", [])
    return {
        "user": user,
        "course": access.course,
        "check": view,
        "items": items,
        "failed": [i for i in items if not i.get("ok")],
        "changes": summary_lines(view.changes),
    }


@router.get("/c/{course}/upload-checks/{check_id}", response_class=HTMLResponse)
def check_page(course: str, check_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "upload_check.html", _check_context(runtime, user, course, check_id))


@router.get("/c/{course}/upload-checks/{check_id}/status", response_class=HTMLResponse)
def check_status(course: str, check_id: Id, request: Request, user: PageUser, runtime: RuntimeDep) -> Response:
    return page(request, "_upload_check.html", _check_context(runtime, user, course, check_id))
