"""Courses, enrolments, roles and the roster."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import USERNAME, create_user
from app.db.models import Course, Enrollment, Role, User
from app.errors import Conflict, Forbidden, Invalid, NotFound

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def check_slug(slug: str, what: str = "course") -> str:
    if not SLUG.fullmatch(slug):
        raise Invalid(f"{what} slug {slug[:80]!r} is not allowed: use 1-64 lowercase letters, digits and '-'")
    return slug


def create_course(session: Session, slug: str, title: str) -> Course:
    check_slug(slug)
    if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise Conflict(f"course {slug!r} already exists")
    course = Course(slug=slug, title=title or slug)
    session.add(course)
    session.flush()
    return course


def enrol(session: Session, course: Course, user: User, role: Role) -> Enrollment:
    """Enrol `user` in `course` with `role`, or change their role if already enrolled."""
    row = session.scalar(select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id))
    if row is None:
        row = Enrollment(course_id=course.id, user_id=user.id, role=role)
        session.add(row)
    else:
        row.role = role
    session.flush()
    return row


def role_in(session: Session, course: Course, user: User) -> Role | None:
    """The user's role in the course; admins act as instructors everywhere."""
    if user.is_admin:
        return Role.INSTRUCTOR
    return session.scalar(
        select(Enrollment.role).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
    )


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: Role

    @property
    def is_instructor(self) -> bool:
        return self.role is Role.INSTRUCTOR


def course_access(session: Session, slug: str, user: User) -> CourseAccess:
    """The course and the user's role in it; a course the user is not in does not exist for them."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    role = role_in(session, course, user) if course is not None else None
    if course is None or role is None:
        raise NotFound(f"no course {slug[:80]!r} of yours")
    return CourseAccess(course, role)


def instructor_access(session: Session, slug: str, user: User) -> CourseAccess:
    access = course_access(session, slug, user)
    if not access.is_instructor:
        raise Forbidden(f"only instructors of {access.course.slug} may do this")
    return access


def courses_of(session: Session, user: User) -> list[tuple[Course, Role]]:
    if user.is_admin:
        return [(c, Role.INSTRUCTOR) for c in session.scalars(select(Course).order_by(Course.slug))]
    rows = session.execute(
        select(Course, Enrollment.role).join(Enrollment).where(Enrollment.user_id == user.id).order_by(Course.slug)
    )
    return [(c, r) for c, r in rows]


def roster(session: Session, course: Course) -> list[Enrollment]:
    return list(
        session.scalars(select(Enrollment).join(User).where(Enrollment.course_id == course.id).order_by(User.username))
    )


@dataclass
class RosterImport:
    created: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


MAX_ROSTER_ROWS = 5000


def import_roster(session: Session, course: Course, data: bytes) -> RosterImport:
    """Enrol the people of a CSV with a header `username[,full_name][,email][,role]`; all or nothing."""
    rows = _parse_roster(data)
    result = RosterImport()
    for username, full_name, email, role in rows:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(session, username, full_name=full_name, email=email)
            result.created.append(username)
        before = role_in(session, course, user) if not user.is_admin else None
        enrol(session, course, user, role)
        (result.updated if before is not None else result.enrolled).append(username)
    return result


def _parse_roster(data: bytes) -> list[tuple[str, str, str | None, Role]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the roster is not UTF-8 text (byte {exc.start}): export the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "username" not in fields:
        raise Invalid("the roster CSV needs a header row with a 'username' column (optional: full_name, email, role)")
    reader.fieldnames = fields
    errors: list[str] = []
    rows: list[tuple[str, str, str | None, Role]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROSTER_ROWS:
            raise Invalid(f"the roster has more than {MAX_ROSTER_ROWS} rows: split it")
        username = (raw.get("username") or "").strip()
        role_text = (raw.get("role") or "student").strip().lower() or "student"
        if not USERNAME.fullmatch(username):
            errors.append(f"line {line}: username {username[:80]!r} is not allowed (letters, digits, _ . @ -)")
            continue
        if username in seen:
            errors.append(f"line {line}: {username} appears twice")
            continue
        if role_text not in {r.value for r in Role}:
            errors.append(f"line {line}: role {role_text[:40]!r} must be 'student' or 'instructor'")
            continue
        seen.add(username)
        email = (raw.get("email") or "").strip() or None
        rows.append((username, (raw.get("full_name") or "").strip()[:200], email, Role(role_text)))
    if errors:
        raise Invalid("the roster has errors; nothing was imported", errors=errors[:50])
    if not rows:
        raise Invalid("the roster has no rows under its header")
    return rows
