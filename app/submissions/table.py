"""The instructors' submissions table: filtered, sorted and paged by the database, and the same view as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from app.adjustments.service import adjusted
from app.db.models import Course, Problem, Submission, SubmissionState, User
from app.errors import Invalid

PAGE_SIZE = 50
MAX_NAME = 100

_TOTAL = Submission.score + Submission.adjustment
# the score with manual adjustments, within [0, max_score], as app/adjustments/service.py::adjusted computes it
ADJUSTED = case((Submission.max_score < _TOTAL, Submission.max_score), (_TOTAL < 0, 0.0), else_=_TOTAL)

# column name in the URL -> (header, what the database orders by)
SORTS: dict[str, tuple[str, Any]] = {
    "id": ("#", Submission.id),
    "student": ("Student", User.username),
    "problem": ("Problem", Problem.slug),
    "when": ("When", Submission.created_at),
    "state": ("State", Submission.state),
    "score": ("Score", ADJUSTED),
}
DEFAULT_DIR = {"id": "desc", "student": "asc", "problem": "asc", "when": "desc", "state": "asc", "score": "desc"}
LATE = {"yes": True, "no": False}


@dataclass(frozen=True)
class TableQuery:
    """What the instructor asked for: the filters, the order and the page (1-based)."""

    problem: str = ""
    student: str = ""
    state: str = ""
    late: str = ""
    sort: str = "id"
    dir: str = "desc"
    page: int = 1

    def params(self, **changes: Any) -> str:
        """The query string of this view with some parameters changed; empty ones are left out."""
        values = {
            "problem": self.problem,
            "student": self.student,
            "state": self.state,
            "late": self.late,
            "sort": self.sort,
            "dir": self.dir,
            "page": self.page,
            **changes,
        }
        if values["page"] == 1:
            values["page"] = ""
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def filters(self) -> str:
        """The query string of the filters and order only (the CSV has every row, so no page)."""
        return self.params(page=1)


@dataclass(frozen=True)
class Row:
    id: int
    username: str
    full_name: str
    problem: str
    created_at: dt.datetime
    state: SubmissionState
    late: bool
    score: float | None
    max_score: float | None
    adjustment: float
    superseded_by_id: int | None = None

    @property
    def adjusted_score(self) -> float | None:
        return adjusted(self.score, self.adjustment, self.max_score)


@dataclass(frozen=True)
class TablePage:
    query: TableQuery
    rows: list[Row]
    total: int
    pages: int  # at least 1, even when nothing matches
    clamped: bool  # the page asked for was past the end: this is the last page


def parse_query(params: Mapping[str, str], slugs: list[str]) -> TableQuery:
    """The table's query parameters checked; a bad one is an `Invalid` saying what to send instead."""
    problem = params.get("problem", "").strip()
    if problem and problem not in slugs:
        known = ", ".join(slugs) or "none yet"
        raise Invalid(f"there is no problem {problem[:64]!r} in this course (its problems: {known})")
    student = params.get("student", "").strip()
    if len(student) > MAX_NAME:
        raise Invalid(f"the student filter is at most {MAX_NAME} characters")
    state = params.get("state", "").strip()
    states = [s.value for s in SubmissionState]
    if state and state not in states:
        raise Invalid(f"unknown state {state[:20]!r}: use one of {', '.join(states)}, or leave it empty")
    late = params.get("late", "").strip()
    if late and late not in LATE:
        raise Invalid(f"late must be yes, no or empty, not {late[:20]!r}")
    sort = params.get("sort", "").strip() or "id"
    if sort not in SORTS:
        raise Invalid(f"cannot sort by {sort[:20]!r}: sort by one of {', '.join(SORTS)}")
    direction = params.get("dir", "").strip() or DEFAULT_DIR[sort]
    if direction not in ("asc", "desc"):
        raise Invalid(f"dir must be asc or desc, not {direction[:20]!r}")
    raw_page = params.get("page", "").strip() or "1"
    if not raw_page.isdigit() or int(raw_page) < 1 or len(raw_page) > 9:
        raise Invalid(f"page must be a whole number from 1, not {raw_page[:20]!r}")
    return TableQuery(problem, student, state, late, sort, direction, int(raw_page))


def _filtered(course: Course, q: TableQuery) -> Select[*tuple[Any, ...]]:
    query: Select[*tuple[Any, ...]] = (
        select(
            Submission.id,
            User.username,
            User.full_name,
            Problem.slug,
            Submission.created_at,
            Submission.state,
            Submission.late,
            Submission.score,
            Submission.max_score,
            Submission.adjustment,
            Submission.superseded_by_id,
        )
        .join(Problem, Submission.problem_id == Problem.id)
        .join(User, Submission.user_id == User.id)
        .where(Problem.course_id == course.id, Submission.regrade_id.is_(None))
    )
    if q.problem:
        query = query.where(Problem.slug == q.problem)
    if q.student:
        needle = q.student.lower()
        query = query.where(
            func.lower(User.username).contains(needle, autoescape=True)
            | func.lower(User.full_name).contains(needle, autoescape=True)
        )
    if q.state:
        query = query.where(Submission.state == SubmissionState(q.state))
    if q.late:
        query = query.where(Submission.late.is_(LATE[q.late]))
    return query


def _ordered(query: Select[*tuple[Any, ...]], q: TableQuery) -> Select[*tuple[Any, ...]]:
    column = SORTS[q.sort][1]
    # rows with no score yet (queued, failed) come last either way; equal values keep the newest first
    order: list[ColumnElement[Any]] = [column.is_(None)] if q.sort == "score" else []
    order.append(column.asc() if q.dir == "asc" else column.desc())
    if q.sort != "id":
        order.append(Submission.id.desc())
    return query.order_by(*order)


def table_page(session: Session, course: Course, q: TableQuery) -> TablePage:
    """One page of the filtered, sorted table; a page past the end shows the last page."""
    query = _filtered(course, q)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    clamped = q.page > pages
    if clamped:
        q = TableQuery(q.problem, q.student, q.state, q.late, q.sort, q.dir, pages)
    result = session.execute(_ordered(query, q).limit(PAGE_SIZE).offset((q.page - 1) * PAGE_SIZE))
    return TablePage(q, [Row(*r) for r in result], total, pages, clamped)


CSV_HEADER = [
    "id",
    "student",
    "full_name",
    "problem",
    "submitted_at",
    "state",
    "late",
    "score",
    "max_score",
    "adjustment",
    "adjusted_score",
]


def table_csv(session: Session, course: Course, q: TableQuery) -> Iterator[str]:
    """Every row of the filtered, sorted view (no paging) as CSV lines, formulas defused."""
    yield _line(CSV_HEADER)
    result = session.execute(_ordered(_filtered(course, q), q).execution_options(yield_per=500))
    for r in result:
        row = Row(*r)
        yield _line(
            [
                str(row.id),
                safe_cell(row.username),
                safe_cell(row.full_name),
                safe_cell(row.problem),
                row.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                row.state.value,
                "yes" if row.late else "no",
                "" if row.score is None else f"{row.score:g}",
                "" if row.max_score is None else f"{row.max_score:g}",
                f"{row.adjustment:g}",
                "" if row.adjusted_score is None else f"{row.adjusted_score:g}",
            ]
        )


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or return) gets a leading '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
