"""Courses, rosters, course-wide submission lists and the gradebook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response

from app.api.deps import CurrentUser, ReadSession, WriteSession
from app.api.params import Limit, Offset
from app.api.schemas import (
    CourseCreate,
    CourseDetail,
    CourseRead,
    MemberRead,
    RosterRead,
    SubmissionPage,
    SubmissionSummary,
)
from app.courses import service as courses
from app.db.models import Role, SubmissionState
from app.errors import Forbidden
from app.exports.service import GradebookFormat, Pick, gradebook_download
from app.http.downloads import download_response
from app.http.uploads import read_roster
from app.submissions.service import SubmissionFilter, list_submissions, summary_view

router = APIRouter(tags=["courses"])


@router.get("/courses", response_model=list[CourseRead])
def list_courses(user: CurrentUser, session: ReadSession) -> list[CourseRead]:
    return [CourseRead(slug=c.slug, title=c.title, role=r) for c, r in courses.courses_of(session, user)]


@router.post("/courses", status_code=status.HTTP_201_CREATED, response_model=CourseRead)
def create_course(body: CourseCreate, user: CurrentUser, session: WriteSession) -> CourseRead:
    """Create a course (admins only); enrol instructors with the roster import."""
    if not user.is_admin:
        raise Forbidden("only administrators create courses")
    course = courses.create_course(session, body.slug, body.title)
    return CourseRead(slug=course.slug, title=course.title, role=Role.INSTRUCTOR)


@router.get("/courses/{course}", response_model=CourseDetail)
def get_course(course: str, user: CurrentUser, session: ReadSession) -> CourseDetail:
    access = courses.course_access(session, course, user)
    return CourseDetail(
        slug=access.course.slug, title=access.course.title, role=access.role, late_days=access.course.late_days
    )


@router.get("/courses/{course}/roster", response_model=list[MemberRead])
def get_roster(course: str, user: CurrentUser, session: ReadSession) -> list[MemberRead]:
    access = courses.instructor_access(session, course, user)
    return [MemberRead.model_validate(courses.member_view(e)) for e in courses.roster(session, access.course)]


@router.post("/courses/{course}/roster", response_model=RosterRead)
def import_roster(
    course: str,
    roster: Annotated[UploadFile, File(description="CSV: username[,full_name][,email][,role]")],
    user: CurrentUser,
    session: WriteSession,
) -> RosterRead:
    """Invite everyone in a CSV roster (all rows or none); each person joins when they accept."""
    data = read_roster(roster)
    access = courses.instructor_access(session, course, user)
    result = courses.import_roster(session, access.course, data)
    return RosterRead(invited=result.invited, updated=result.updated)


@router.get("/courses/{course}/submissions", response_model=SubmissionPage)
def course_submissions(
    course: str,
    user: CurrentUser,
    session: ReadSession,
    problem: str | None = None,
    student: str | None = None,
    state: SubmissionState | None = None,
    late: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> SubmissionPage:
    """Submissions of the course: all of them for instructors and TAs (with filters), your own for students."""
    access = courses.course_access(session, course, user)
    flt = SubmissionFilter(problem=problem, user=student, state=state, late=late, limit=limit, offset=offset)
    total, rows = list_submissions(session, access, user, flt)
    items = [
        SubmissionSummary.model_validate(summary_view(s, staff=access.is_staff), from_attributes=True)
        for s in rows
    ]
    return SubmissionPage(total=total, items=items)


@router.get("/courses/{course}/gradebook.csv", response_class=Response)
def gradebook(
    course: str,
    user: CurrentUser,
    session: ReadSession,
    pick: Annotated[Pick | None, Query(description="override every problem's rule and the students' choices")] = None,
    fmt: Annotated[
        GradebookFormat, Query(alias="format", description="plain, or an LMS import")
    ] = GradebookFormat.PLAIN,
) -> Response:
    """Each student's counting submission per problem (its points, late flag, id and why it counts) as CSV
    (instructors and TAs; points with manual adjustments);
    `format=canvas` or `format=moodle` gives the points in the CSV that Canvas or Moodle imports."""
    access = courses.staff_access(session, course, user)
    return download_response(gradebook_download(session, access.course, pick, fmt))
