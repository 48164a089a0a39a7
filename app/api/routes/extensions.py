"""Extensions (one student's own deadline and extra quota on a problem) and late days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response

from app.api.deps import CurrentUser, ReadSession, WriteSession
from app.api.schemas import (
    CourseDetail,
    CourseUpdate,
    ExtensionImportRead,
    ExtensionRead,
    ExtensionUpdate,
    LateDaysRead,
    ProblemLateDays,
    StudentLateDays,
)
from app.courses import deadlines, extensions
from app.courses import service as courses
from app.db.models import Extension, Role
from app.http.uploads import read_extensions
from app.problems import service as problems

router = APIRouter(tags=["extensions and late days"])


def extension_read(row: Extension) -> ExtensionRead:
    return ExtensionRead(
        username=row.user.username,
        problem=row.problem.slug,
        deadline=row.deadline,
        problem_deadline=row.problem.deadline,
        extra_quota=row.extra_quota,
        reason=row.reason,
        created_by=row.created_by.username if row.created_by else None,
        created_at=row.created_at,
        updated_by=row.updated_by.username if row.updated_by else None,
        updated_at=row.updated_at,
    )


@router.get("/courses/{course}/extensions", response_model=list[ExtensionRead])
def list_course_extensions(
    course: str, user: CurrentUser, session: ReadSession, problem: str | None = None
) -> list[ExtensionRead]:
    """Every extension of the course (instructors), or one problem's with `?problem=`."""
    access = courses.instructor_access(session, course, user)
    found = problems.get_problem(session, access, problem) if problem is not None else None
    return [extension_read(e) for e in extensions.list_extensions(session, access.course, found)]


@router.post("/courses/{course}/extensions", response_model=ExtensionImportRead)
def import_extensions(
    course: str,
    file: Annotated[UploadFile, File(description="CSV: username,problem,deadline,extra_quota,reason")],
    user: CurrentUser,
    session: WriteSession,
) -> ExtensionImportRead:
    """Set many extensions from a CSV (each replaces the student's extension on that problem); all rows or none."""
    data = read_extensions(file)
    access = courses.instructor_access(session, course, user)
    stored = extensions.import_extensions(session, access.course, data, user)
    return ExtensionImportRead(stored=[extension_read(e) for e in stored])


@router.get("/courses/{course}/problems/{slug}/extensions", response_model=list[ExtensionRead])
def list_problem_extensions(course: str, slug: str, user: CurrentUser, session: ReadSession) -> list[ExtensionRead]:
    access = courses.instructor_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    return [extension_read(e) for e in extensions.list_extensions(session, access.course, problem)]


@router.put("/courses/{course}/problems/{slug}/extensions/{username}", response_model=ExtensionRead)
def set_extension(
    course: str, slug: str, username: str, body: ExtensionUpdate, user: CurrentUser, session: WriteSession
) -> ExtensionRead:
    """Give a student their own deadline and/or extra quota on the problem, replacing what they had."""
    access = courses.instructor_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    student = extensions.student_of(session, access.course, username)
    change = extensions.ExtensionChange(body.deadline, body.extra_quota, body.reason)
    return extension_read(extensions.set_extension(session, problem, student, change, user))


@router.delete("/courses/{course}/problems/{slug}/extensions/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_extension(course: str, slug: str, username: str, user: CurrentUser, session: WriteSession) -> Response:
    access = courses.instructor_access(session, course, user)
    problem = problems.get_problem(session, access, slug)
    extensions.remove_extension(session, problem, extensions.student_of(session, access.course, username))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/courses/{course}", response_model=CourseDetail)
def update_course(course: str, body: CourseUpdate, user: CurrentUser, session: WriteSession) -> CourseDetail:
    """Course settings (instructors): each student's bank of late days."""
    access = courses.instructor_access(session, course, user)
    if body.late_days is not None:
        extensions.set_late_days(access.course, body.late_days)
    return CourseDetail(
        slug=access.course.slug, title=access.course.title, role=Role.INSTRUCTOR, late_days=access.course.late_days
    )


@router.get("/courses/{course}/late-days", response_model=LateDaysRead)
def late_days(course: str, user: CurrentUser, session: ReadSession) -> LateDaysRead:
    """Your late days in the course: the bank, what you spent (per problem) and what is left; instructors also
    read every student's."""
    access = courses.course_access(session, course, user)
    mine = deadlines.late_days_of(session, access.course, user.id)
    spent = [
        ProblemLateDays(problem=slug, days=days)
        for slug, days in deadlines.spent_by_problem(session, access.course, user.id)
    ]
    students = None
    if access.is_instructor:
        used = deadlines.late_days_used(session, access.course)
        bank = access.course.late_days
        students = [
            StudentLateDays(
                username=e.user.username, used=used.get(e.user_id, 0), left=max(0, bank - used.get(e.user_id, 0))
            )
            for e in courses.roster(session, access.course)
            if e.role is Role.STUDENT
        ]
    return LateDaysRead(bank=mine.bank, used=mine.used, left=mine.left, problems=spent, students=students)
