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
    """Enrol `user` in `course` with `role` at once (an admin's act), or change their role; an invitation becomes a
    membership."""
    row = _enrolment(session, course, user)
    if row is None:
        row = Enrollment(course_id=course.id, user_id=user.id, role=role, invited=False)
        session.add(row)
    else:
        row.role = role
        row.invited = False
    session.flush()
    return row


def _enrolment(session: Session, course: Course, user: User) -> Enrollment | None:
    return session.scalar(select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id))


def role_in(session: Session, course: Course, user: User) -> Role | None:
    """The user's role in the course; admins act as instructors everywhere."""
    if user.is_admin:
        return Role.INSTRUCTOR
    return session.scalar(
        select(Enrollment.role).where(
            Enrollment.course_id == course.id, Enrollment.user_id == user.id, Enrollment.invited.is_(False)
        )
    )


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: Role

    @property
    def is_instructor(self) -> bool:
        """Manages the course: problems, versions, settings, regrades, the roster and its password links."""
        return self.role is Role.INSTRUCTOR

    @property
    def is_staff(self) -> bool:
        """Reads and grades: every submission, the overview and gradebook, adjustments, regrade requests."""
        return self.role in (Role.INSTRUCTOR, Role.TA)


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


def staff_access(session: Session, slug: str, user: User) -> CourseAccess:
    """The course for its instructors and TAs; students are refused."""
    access = course_access(session, slug, user)
    if not access.is_staff:
        raise Forbidden(f"only instructors and TAs of {access.course.slug} may do this")
    return access


def courses_of(session: Session, user: User) -> list[tuple[Course, Role]]:
    if user.is_admin:
        return [(c, Role.INSTRUCTOR) for c in session.scalars(select(Course).order_by(Course.slug))]
    rows = session.execute(
        select(Course, Enrollment.role)
        .join(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.invited.is_(False))
        .order_by(Course.slug)
    )
    return [(c, r) for c, r in rows]


def member_view(row: Enrollment) -> dict[str, object]:
    """A roster line as an instructor sees it: an invited person's account details stay private until they accept."""
    name = "" if row.invited else row.user.full_name
    return {"username": row.user.username, "full_name": name, "role": row.role, "invited": row.invited}


def roster(session: Session, course: Course) -> list[Enrollment]:
    return list(
        session.scalars(select(Enrollment).join(User).where(Enrollment.course_id == course.id).order_by(User.username))
    )


@dataclass
class RosterImport:
    invited: list[str] = field(default_factory=list)  # not in the course before: they join when they accept
    updated: list[str] = field(default_factory=list)  # already in the course (or invited): their role is set


MAX_ROSTER_ROWS = 5000


def import_roster(session: Session, course: Course, data: bytes) -> RosterImport:
    """Invite the people of a CSV with a header `username[,full_name][,email][,role]`; all or nothing.

    Whether a username already has an account changes nothing the instructor sees: a new one is
    created, an existing one is left as it is, and both get an invitation that gives no access
    until its person accepts it. So an import can neither claim another course's user nor tell
    whether a username exists."""
    rows = _parse_roster(data)
    result = RosterImport()
    for username, full_name, email, role in rows:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(session, username, full_name=full_name, email=email)
        row = _enrolment(session, course, user)
        if row is not None:
            row.role = role
            result.updated.append(username)
            continue
        session.add(Enrollment(course_id=course.id, user_id=user.id, role=role, invited=True))
        result.invited.append(username)
    session.flush()
    return result


def invitations_of(session: Session, user: User) -> list[tuple[Course, Role]]:
    """The courses that invited the user and are waiting for an answer."""
    rows = session.execute(
        select(Course, Enrollment.role)
        .join(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.invited.is_(True))
        .order_by(Course.slug)
    )
    return [(c, r) for c, r in rows]


def answer_invitation(session: Session, user: User, slug: str, *, accept: bool) -> tuple[Course, Role]:
    """Join the course that invited the user, or decline (the invitation is removed)."""
    row = session.scalar(
        select(Enrollment)
        .join(Course)
        .where(Course.slug == slug, Enrollment.user_id == user.id, Enrollment.invited.is_(True))
    )
    if row is None:
        raise NotFound(f"no invitation to course {slug[:80]!r} for you: see GET /api/v1/me/invitations")
    course, role = session.get_one(Course, row.course_id), row.role
    if accept:
        row.invited = False
    else:
        session.delete(row)
    session.flush()
    return course, role


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
            errors.append(f"line {line}: role {role_text[:40]!r} must be 'student', 'ta' or 'instructor'")
            continue
        seen.add(username)
        email = (raw.get("email") or "").strip() or None
        rows.append((username, (raw.get("full_name") or "").strip()[:200], email, Role(role_text)))
    if errors:
        raise Invalid("the roster has errors; nothing was imported", errors=errors[:50])
    if not rows:
        raise Invalid("the roster has no rows under its header")
    return rows
