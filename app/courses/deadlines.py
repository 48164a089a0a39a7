"""A student's own deadline, quota and late days on a problem: the one place these rules live.

A student's deadline is their extension's when they have one, else the problem's. A submission after
it is late by whole days (rounded up). The course may give each student a bank of late days: a late
submission spends them automatically when the days it needs are at most the problem's
`late_days_max` and the student has enough left; it is then not late (no penalty, not rejected).
What a problem costs is the most days any of the student's submissions to it needed, so submitting
again three days late after once one day late spends two more days, not three. Callers deciding a
submission hold the student's row lock (`app.submissions.intake.lock_submitter`), so two concurrent
submissions cannot both spend the last days.

Hidden tests are revealed (when the problem says so) only once every deadline of the problem has
passed, extensions included: revealing them while one student may still submit would leak them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import Course, Extension, Problem, Submission

DAY = dt.timedelta(days=1)


def extension_of(session: Session, problem_id: int, user_id: int) -> Extension | None:
    return session.scalar(select(Extension).where(Extension.problem_id == problem_id, Extension.user_id == user_id))


def deadline_for(session: Session, problem: Problem, user_id: int) -> dt.datetime | None:
    """The student's own deadline: the later of the problem's and their extension's (None: the problem has no
    deadline). An extension only ever gives more time: one left earlier than a deadline moved later has no
    effect, and none imposes a deadline on a problem without one."""
    if problem.deadline is None:
        return None
    extension = extension_of(session, problem.id, user_id)
    if extension is not None and extension.deadline is not None:
        return max(problem.deadline, extension.deadline)
    return problem.deadline


def is_late(session: Session, problem: Problem, user_id: int, now: dt.datetime | None = None) -> bool:
    """Whether the student's own deadline has passed (before any late days are spent)."""
    deadline = deadline_for(session, problem, user_id)
    return deadline is not None and (now or utcnow()) > deadline


def quota_for(session: Session, problem: Problem, user_id: int) -> int | None:
    """How many submissions the student may make per quota window: the problem's plus their extension's extra."""
    if problem.quota_count is None:
        return None
    extension = extension_of(session, problem.id, user_id)
    return problem.quota_count + (extension.extra_quota if extension is not None else 0)


def last_deadline(session: Session, problem: Problem) -> dt.datetime | None:
    """The latest deadline anyone has on the problem (None when the problem has no deadline)."""
    if problem.deadline is None:
        return None
    latest = session.scalar(
        select(func.max(Extension.deadline)).where(Extension.problem_id == problem.id, Extension.deadline.is_not(None))
    )
    return max(problem.deadline, latest) if latest is not None else problem.deadline


def reveals_hidden(session: Session, problem: Problem, now: dt.datetime | None = None) -> bool:
    """Whether students see the problem's hidden tests in full: it says so, and every deadline has passed."""
    if not problem.reveal_hidden_after_deadline:
        return False
    last = last_deadline(session, problem)
    return last is not None and (now or utcnow()) > last


def days_late(deadline: dt.datetime | None, now: dt.datetime) -> int:
    """Whole days after the deadline, rounded up (0 when on time)."""
    if deadline is None or now <= deadline:
        return 0
    return math.ceil((now - deadline) / DAY)


@dataclass(frozen=True)
class LateDays:
    """A student's bank of late days in a course and how many they have spent."""

    bank: int
    used: int

    @property
    def left(self) -> int:
        return max(0, self.bank - self.used)


def _spent_query(course_id: int) -> Select[int, int, int]:
    """(user id, problem id, days) for each problem a student spent late days on."""
    return (
        select(Submission.user_id, Submission.problem_id, func.max(Submission.late_days))
        .join(Problem, Problem.id == Submission.problem_id)
        .where(Problem.course_id == course_id, Submission.regrade_id.is_(None), Submission.late_days > 0)
        .group_by(Submission.user_id, Submission.problem_id)
    )


def late_days_of(session: Session, course: Course, user_id: int) -> LateDays:
    """The student's bank and the days spent: per problem the most any submission needed, summed."""
    rows = session.execute(_spent_query(course.id).where(Submission.user_id == user_id))
    return LateDays(course.late_days, sum(int(days) for _, _, days in rows))


def late_days_used(session: Session, course: Course) -> dict[int, int]:
    """Late days spent by each student of the course who spent any, by user id."""
    used: dict[int, int] = defaultdict(int)
    for user_id, _, days in session.execute(_spent_query(course.id)):
        used[int(user_id)] += int(days)
    return dict(used)


def spent_by_problem(session: Session, course: Course, user_id: int) -> list[tuple[str, int]]:
    """The late days the student spent on each problem they spent any on, by problem slug."""
    slugs = {
        pid: slug
        for pid, slug in session.execute(select(Problem.id, Problem.slug).where(Problem.course_id == course.id))
    }
    rows = session.execute(_spent_query(course.id).where(Submission.user_id == user_id))
    return sorted((slugs[int(pid)], int(days)) for _, pid, days in rows)


def spent_on(session: Session, problem: Problem, user_id: int) -> int:
    """Late days the student has spent on this problem so far."""
    spent = session.scalar(
        select(func.max(Submission.late_days)).where(
            Submission.problem_id == problem.id, Submission.user_id == user_id, Submission.regrade_id.is_(None)
        )
    )
    return int(spent or 0)


@dataclass(frozen=True)
class Terms:
    """What a submission by this student made now would be."""

    deadline: dt.datetime | None  # the student's own
    extended: bool  # the deadline is an extension's
    days_needed: int  # whole days past the student's deadline
    late_days: int  # days the submission records as spent (its days_needed when covered, else 0)
    new_days: int  # days it spends beyond what the problem already cost
    late: bool  # late after late days: the late policy applies
    bank: LateDays
    max_on_problem: int

    @property
    def covered(self) -> bool:
        return self.days_needed > 0 and not self.late

    @property
    def left_after(self) -> int:
        return self.bank.left - self.new_days


def terms_for(session: Session, problem: Problem, user_id: int, now: dt.datetime) -> Terms:
    """The student's deadline, and whether late days cover a submission made `now`."""
    extension = extension_of(session, problem.id, user_id)
    extended = extension is not None and extension.deadline is not None
    deadline = extension.deadline if extension is not None and extension.deadline is not None else problem.deadline
    needed = days_late(deadline, now)
    bank = late_days_of(session, problem.course, user_id)
    if needed == 0:
        return Terms(deadline, extended, 0, 0, 0, False, bank, problem.late_days_max)
    new_days = max(0, needed - spent_on(session, problem, user_id))
    if needed <= problem.late_days_max and new_days <= bank.left:
        return Terms(deadline, extended, needed, needed, new_days, False, bank, problem.late_days_max)
    return Terms(deadline, extended, needed, 0, 0, True, bank, problem.late_days_max)


def deadlines_for(
    session: Session, problems: list[Problem], user_id: int
) -> dict[int, tuple[dt.datetime | None, bool]]:
    """Each problem's deadline for the student, and whether it is an extension's (for lists of problems)."""
    ids = [p.id for p in problems]
    extended = {
        e.problem_id: e.deadline
        for e in session.scalars(
            select(Extension).where(
                Extension.problem_id.in_(ids), Extension.user_id == user_id, Extension.deadline.is_not(None)
            )
        )
    }
    return {p.id: (extended[p.id], True) if p.id in extended else (p.deadline, False) for p in problems}
