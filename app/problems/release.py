"""When students see a problem (published and opened) and when they see its results (not held)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, or_

from app.db import utcnow
from app.db.models import Problem


def is_open(problem: Problem, now: dt.datetime | None = None) -> bool:
    """Whether students see the problem: it is published and its release date, if any, has come."""
    return problem.published and (problem.opens_at is None or (now or utcnow()) >= problem.opens_at)


def open_clause(now: dt.datetime | None = None) -> ColumnElement[bool]:
    """`is_open` as SQL, for queries of what students see."""
    return and_(Problem.published.is_(True), or_(Problem.opens_at.is_(None), Problem.opens_at <= (now or utcnow())))


def results_released(problem: Problem, now: dt.datetime | None = None) -> bool:
    """Whether students see their results: not held, or held until a release time that has come."""
    if not problem.results_held:
        return True
    return problem.results_release_at is not None and (now or utcnow()) >= problem.results_release_at


def release_results(problem: Problem) -> Problem:
    """Release the problem's results to its students now."""
    problem.results_held = False
    problem.results_release_at = None
    return problem
