"""Instructor pages for extensions (one by one, or a CSV for many) and the course's late days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.api.deps import RuntimeDep
from app.courses import extensions
from app.courses import service as courses
from app.db.models import Role, User
from app.errors import Invalid, ServiceError
from app.http.uploads import read_extensions
from app.problems import service as problems
from app.runtime import Runtime
from app.web.render import page
from app.web.session import CsrfChecked, PageUser

router = APIRouter(include_in_schema=False)


def _context(runtime: Runtime, user: User, course: str, problem: str = "", student: str = "") -> dict[str, Any]:
    """The page: the course's extensions (or one problem's), and the form filled for one student when editing."""
    with runtime.db.read() as session:
        access = courses.instructor_access(session, course, user)
        listed = problems.list_problems(session, access)
        chosen = next((p for p in listed if p.slug == problem), None)
        rows = extensions.list_extensions(session, access.course, chosen)
        if student:
            rows = [e for e in rows if e.user.username == student]
        students = [e.user.username for e in courses.roster(session, access.course) if e.role is Role.STUDENT]
        editing = rows[0] if chosen and student and rows else None
        return {
            "user": user,
            "course": access.course,
            "problems": listed,
            "problem": chosen,
            "student": student,
            "students": students,
            "rows": rows,
            "form": {
                "problem": problem,
                "student": student,
                "deadline": editing.deadline.strftime("%Y-%m-%dT%H:%M") if editing and editing.deadline else "",
                "extra_quota": editing.extra_quota if editing else 0,
                "reason": editing.reason if editing else "",
            },
            "columns": extensions.CSV_COLUMNS,
        }


@router.get("/c/{course}/extensions", response_class=HTMLResponse)
def extensions_page(
    course: str, request: Request, user: PageUser, runtime: RuntimeDep, problem: str = "", student: str = ""
) -> Response:
    return page(request, "extensions.html", _context(runtime, user, course, problem[:64], student[:64]))


def _deadline(text: str) -> dt.datetime | None:
    """The form's date and time (UTC); empty keeps the problem's deadline."""
    if not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=dt.UTC)
    except ValueError:
        raise Invalid(f"the deadline {text[:40]!r} is not a date and time (e.g. 2026-12-01T23:59)") from None


@router.post("/c/{course}/extensions", response_class=HTMLResponse, dependencies=[CsrfChecked])
def set_extension(
    course: str,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    problem: Annotated[str, Form(max_length=64)],
    student: Annotated[str, Form(max_length=64)],
    deadline: Annotated[str, Form(max_length=40)] = "",
    extra_quota: Annotated[str, Form(max_length=10)] = "0",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        if not extra_quota.strip().isdigit() and extra_quota.strip():
            raise Invalid(f"extra quota {extra_quota[:10]!r} must be a whole number of submissions")
        change = extensions.ExtensionChange(_deadline(deadline), int(extra_quota.strip() or 0), reason)
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            found = problems.get_problem(session, access, problem)
            target = extensions.student_of(session, access.course, student)
            extensions.set_extension(session, found, target, change, user)
    except ServiceError as exc:
        context = _context(runtime, user, course, problem)
        context["form"] = {"problem": problem, "student": student, "deadline": deadline, "extra_quota": extra_quota}
        context["form"]["reason"] = reason
        return page(request, "extensions.html", {**context, "error": exc.detail}, status_code=exc.status)
    notice = f"Saved the extension of {student} on {problem}."
    return page(request, "extensions.html", {**_context(runtime, user, course, problem), "notice": notice})


@router.post("/c/{course}/extensions/remove", response_class=HTMLResponse, dependencies=[CsrfChecked])
def remove_extension(
    course: str,
    request: Request,
    user: PageUser,
    runtime: RuntimeDep,
    problem: Annotated[str, Form(max_length=64)],
    student: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            found = problems.get_problem(session, access, problem)
            extensions.remove_extension(session, found, extensions.student_of(session, access.course, student))
    except ServiceError as exc:
        context = _context(runtime, user, course, problem)
        return page(request, "extensions.html", {**context, "error": exc.detail}, status_code=exc.status)
    notice = f"Removed the extension of {student} on {problem}."
    return page(request, "extensions.html", {**_context(runtime, user, course, problem), "notice": notice})


@router.post("/c/{course}/extensions/import", response_class=HTMLResponse, dependencies=[CsrfChecked])
def import_extensions(
    course: str, request: Request, user: PageUser, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> Response:
    try:
        data = read_extensions(file)
        with runtime.db.session() as session:
            access = courses.instructor_access(session, course, user)
            stored = len(extensions.import_extensions(session, access.course, data, user))
    except ServiceError as exc:
        context = {**_context(runtime, user, course), "error": exc.detail, "errors": exc.errors}
        return page(request, "extensions.html", context, status_code=exc.status)
    notice = f"Imported {stored} extension{'s' if stored != 1 else ''}."
    return page(request, "extensions.html", {**_context(runtime, user, course), "notice": notice})
