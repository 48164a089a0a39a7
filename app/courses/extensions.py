"""Extensions: one student's own deadline and extra quota on one problem, set by an instructor (one by one or
from a CSV), and the course's bank of late days. The rules that use them are in app/courses/deadlines.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import Course, Enrollment, Extension, Problem, Role, User
from app.errors import Invalid, NotFound

MAX_EXTRA_QUOTA = 100_000
MAX_REASON = 500
MAX_LATE_DAYS = 365
MAX_EXTENSION_ROWS = 5000
CSV_COLUMNS = "username,problem,deadline,extra_quota,reason"


@dataclass(frozen=True)
class ExtensionChange:
    """What an instructor sets for one student on one problem; it replaces any extension they had."""

    deadline: dt.datetime | None  # None: keep the problem's deadline (extra quota only)
    extra_quota: int = 0
    reason: str = ""


def check_change(change: ExtensionChange) -> ExtensionChange:
    """The change if it is one an instructor may set, else an error that says what to fix."""
    if change.deadline is not None and change.deadline.tzinfo is None:
        raise Invalid("the extension's deadline needs a time zone, e.g. 2026-12-01T23:59:00+00:00")
    if change.deadline is not None and not 2000 <= change.deadline.year <= 9998:
        raise Invalid(f"the extension's deadline {change.deadline.isoformat()} is not a date of a course")
    if not 0 <= change.extra_quota <= MAX_EXTRA_QUOTA:
        raise Invalid(f"extra_quota must be from 0 to {MAX_EXTRA_QUOTA}, not {change.extra_quota}")
    if change.deadline is None and change.extra_quota == 0:
        raise Invalid("an extension needs a new deadline, extra quota, or both")
    if len(change.reason) > MAX_REASON:
        raise Invalid(f"the reason is {len(change.reason)} characters long; at most {MAX_REASON} are kept")
    return change


def student_of(session: Session, course: Course, username: str) -> User:
    """A student of the course (an invited one too) by username; anyone else is 'not found'."""
    user = session.scalar(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT, User.username == username)
    )
    if user is None:
        raise NotFound(f"no student {username[:80]!r} in course {course.slug}: see the roster")
    return user


def list_extensions(session: Session, course: Course, problem: Problem | None = None) -> list[Extension]:
    """The course's extensions (or one problem's), by problem then username."""
    query = select(Extension).join(Problem, Problem.id == Extension.problem_id).where(Problem.course_id == course.id)
    if problem is not None:
        query = query.where(Extension.problem_id == problem.id)
    return sorted(session.scalars(query), key=lambda e: (e.problem.id, e.user.username))


def check_for_problem(problem: Problem, change: ExtensionChange) -> None:
    """An extension's deadline gives more time than the problem's own deadline, which it needs."""
    if change.deadline is None:
        return
    if problem.deadline is None:
        raise Invalid(
            f"{problem.slug} has no deadline, so an extension there can only give extra submissions: leave the "
            f"extension's deadline empty, or give {problem.slug} a deadline first"
        )
    if change.deadline <= problem.deadline:
        raise Invalid(
            f"the extension's deadline {change.deadline.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC is not after the "
            f"deadline of {problem.slug} ({problem.deadline:%Y-%m-%d %H:%M} UTC): an extension gives more time, "
            "never less"
        )


def set_extension(session: Session, problem: Problem, user: User, change: ExtensionChange, by: User) -> Extension:
    """Give the student an extension on the problem, replacing the one they had (first and last setter kept)."""
    check_change(change)
    check_for_problem(problem, change)
    row = session.scalar(select(Extension).where(Extension.problem_id == problem.id, Extension.user_id == user.id))
    if row is None:
        row = Extension(problem_id=problem.id, user_id=user.id, created_by_id=by.id, created_at=utcnow())
        session.add(row)
    else:
        row.updated_by_id = by.id
        row.updated_at = utcnow()
    row.deadline = change.deadline
    row.extra_quota = change.extra_quota
    row.reason = change.reason.strip()
    session.flush()
    session.refresh(row)
    return row


def remove_extension(session: Session, problem: Problem, user: User) -> None:
    row = session.scalar(select(Extension).where(Extension.problem_id == problem.id, Extension.user_id == user.id))
    if row is None:
        raise NotFound(f"{user.username} has no extension on {problem.slug}")
    session.delete(row)
    session.flush()


def set_late_days(course: Course, days: int) -> Course:
    """Set the bank of late days each student of the course has (0 turns late days off)."""
    if not 0 <= days <= MAX_LATE_DAYS:
        raise Invalid(f"late days must be from 0 to {MAX_LATE_DAYS}, not {days}")
    course.late_days = days
    return course


def parse_deadline(text: str) -> dt.datetime | None:
    """An ISO 8601 date and time; with no offset it is UTC. Empty: no new deadline."""
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"deadline {text[:40]!r} is not an ISO 8601 date and time, e.g. 2026-12-01T23:59:00Z") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class ExtensionRow:
    username: str
    problem: str
    change: ExtensionChange


def import_extensions(session: Session, course: Course, data: bytes, by: User) -> list[Extension]:
    """Set every extension of a CSV (`username,problem,deadline,extra_quota,reason`); all rows or none."""
    rows, errors = _parse(data)
    problems = {p.slug: p for p in session.scalars(select(Problem).where(Problem.course_id == course.id))}
    resolved: list[tuple[Problem, User, ExtensionChange]] = []
    for line, row in rows:
        problem = problems.get(row.problem)
        if problem is None:
            errors.append(f"line {line}: no problem {row.problem[:80]!r} in course {course.slug}")
            continue
        try:
            check_for_problem(problem, row.change)
        except Invalid as exc:
            errors.append(f"line {line}: {exc.detail}")
            continue
        try:
            resolved.append((problem, student_of(session, course, row.username), row.change))
        except NotFound:
            errors.append(f"line {line}: {row.username[:80]!r} is not a student of {course.slug}")
    if errors:
        errors.sort(key=lambda e: int(e.split(":")[0].removeprefix("line ")))
        raise Invalid("the extensions file has errors; nothing was stored", errors=errors[:50])
    return [set_extension(session, problem, user, change, by) for problem, user, change in resolved]


def _parse(data: bytes) -> tuple[list[tuple[int, ExtensionRow]], list[str]]:
    """The rows that read well, by line number, and what is wrong with the others."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the extensions file is not UTF-8 text (byte {exc.start}): save the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "username" not in fields or "problem" not in fields:
        raise Invalid(f"the extensions CSV needs a header row: {CSV_COLUMNS} (deadline or extra_quota may be empty)")
    reader.fieldnames = fields
    errors: list[str] = []
    rows: list[tuple[int, ExtensionRow]] = []
    seen: set[tuple[str, str]] = set()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_EXTENSION_ROWS:
            raise Invalid(f"the extensions file has more than {MAX_EXTENSION_ROWS} rows: split it")
        username, problem = (raw.get("username") or "").strip(), (raw.get("problem") or "").strip()
        if (username, problem) in seen:
            errors.append(f"line {line}: {username[:80]} on {problem[:80]} appears twice")
            continue
        seen.add((username, problem))
        try:
            quota_text = (raw.get("extra_quota") or "").strip() or "0"
            if not quota_text.isdigit():
                raise Invalid(f"extra_quota {quota_text[:20]!r} is not a whole number of submissions")
            change = ExtensionChange(
                parse_deadline(raw.get("deadline") or ""), int(quota_text), (raw.get("reason") or "").strip()
            )
            rows.append((line, ExtensionRow(username, problem, check_change(change))))
        except Invalid as exc:
            errors.append(f"line {line}: {exc.detail}")
    if not rows and not errors:
        raise Invalid(f"the extensions file has no rows under its header ({CSV_COLUMNS})")
    return rows, errors
