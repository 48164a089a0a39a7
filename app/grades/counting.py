"""Which submission counts for each student and problem, and what it is worth.

The rule, per problem: its `counting` (`best`: the highest score with manual adjustments, of equal scores the
latest; `latest`: the latest graded), unless the student chose ("activated") one of their graded submissions
before their deadline.
As on Gradescope, choosing is explicit and a newer submission ends the choice: the newest submission becomes
the one the rule picks again, so a student who submits after choosing must choose again. The gradebook, the
LMS exports and the class overview all read `counting_submissions`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from app.adjustments.service import adjusted, adjusted_score
from app.courses.deadlines import deadline_for
from app.db import utcnow
from app.db.models import Counting, Course, Problem, Submission, SubmissionState, User
from app.errors import Forbidden, Invalid
from app.submissions.service import held_from, readable_submission, shown_status


class CountReason(enum.StrEnum):
    BEST = "best"
    LATEST = "latest"
    CHOSEN = "chosen by the student"


@dataclass(frozen=True)
class Counted:
    """The submission that counts for one student and problem, and why."""

    submission: Submission
    reason: CountReason


def points(submission: Submission) -> float:
    """What a counting submission is worth in the gradebook and the exports: its score with manual adjustments."""
    return adjusted_score(submission) or 0.0


def may_choose(session: Session, problem: Problem, user_id: int, now: dt.datetime | None = None) -> bool:
    """Whether the student may still choose which submission counts: until their deadline."""
    deadline = deadline_for(session, problem, user_id)
    return deadline is None or (now or utcnow()) <= deadline


@dataclass(frozen=True)
class _Row:
    id: int
    problem_id: int
    user_id: int
    state: SubmissionState
    score: float | None
    created_at: dt.datetime
    activated_at: dt.datetime | None


def _pick(rows: list[_Row], rule: Counting, honour_choice: bool) -> tuple[int, CountReason] | None:
    """The counting submission among one student's submissions to one problem (oldest first)."""
    graded = [r for r in rows if r.state is SubmissionState.GRADED]
    if not graded:
        return None
    if honour_choice:
        choices = [(r.activated_at, r) for r in rows if r.activated_at is not None]
        if choices:
            when, chosen = max(choices, key=lambda c: c[0])
            if chosen.state is SubmissionState.GRADED and not any(r.created_at > when for r in rows):
                return chosen.id, CountReason.CHOSEN
    if rule is Counting.LATEST:
        return graded[-1].id, CountReason.LATEST
    best = max(graded, key=lambda r: (r.score or 0.0, r.created_at, r.id))  # of equal scores, the latest
    return best.id, CountReason.BEST


def counting_submissions(
    session: Session,
    course: Course,
    *,
    override: Counting | None = None,
    problem_id: int | None = None,
    user_id: int | None = None,
) -> dict[tuple[int, int], Counted]:
    """Per (student id, problem id) the submission that counts and why.

    `override` applies one rule to every problem and ignores students' choices (the gradebook's `pick`)."""
    query = (
        select(
            Submission.id,
            Submission.problem_id,
            Submission.user_id,
            Submission.state,
            Submission.score,
            Submission.adjustment,
            Submission.max_score,
            Submission.created_at,
            Submission.activated_at,
            Problem.counting,
        )
        .join(Problem)
        .where(Problem.course_id == course.id, Submission.regrade_id.is_(None))
        .order_by(Submission.created_at, Submission.id)
    )
    if problem_id is not None:
        query = query.where(Submission.problem_id == problem_id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    groups: dict[tuple[int, int], list[_Row]] = {}
    rules: dict[int, Counting] = {}
    for sid, pid, uid, state, graded, adjustment, max_score, created, activated, rule in session.execute(query):
        score = adjusted(graded, adjustment, max_score)  # "best" is by the score with manual adjustments
        groups.setdefault((uid, pid), []).append(_Row(sid, pid, uid, state, score, created, activated))
        rules[pid] = rule
    picked: dict[int, tuple[tuple[int, int], CountReason]] = {}
    for key, rows in groups.items():
        found = _pick(rows, override or rules[key[1]], honour_choice=override is None)
        if found is not None:
            picked[found[0]] = (key, found[1])
    return {key: Counted(sub, reason) for sub, (key, reason) in _load(session, picked)}


def _load(
    session: Session, picked: dict[int, tuple[tuple[int, int], CountReason]]
) -> Iterable[tuple[Submission, tuple[tuple[int, int], CountReason]]]:
    ids = sorted(picked)
    for start in range(0, len(ids), 500):
        query = (
            select(Submission).options(lazyload(Submission.tests)).where(Submission.id.in_(ids[start : start + 500]))
        )
        for sub in session.scalars(query):
            yield sub, picked[sub.id]


def counting_for(session: Session, problem: Problem, user_id: int, *, staff: bool) -> Counted | None:
    """The student's counting submission for the problem as this viewer may know it: while the problem's
    results are held, a student is told only their own choice (which is best would tell them a score)."""
    counted = counting_submissions(session, problem.course, problem_id=problem.id, user_id=user_id)
    found = counted.get((user_id, problem.id))
    if found is None or (found.reason is not CountReason.CHOSEN and held_from(found.submission, staff=staff)):
        return None
    return found


def activate(session: Session, user: User, submission_id: int, now: dt.datetime | None = None) -> Submission:
    """The student chooses one of their graded submissions to count instead of the problem's rule."""
    submission, _ = readable_submission(session, user, submission_id)
    if submission.user_id != user.id:
        raise Forbidden("only the student who made a submission chooses whether it counts")
    if submission.state is not SubmissionState.GRADED:
        state = shown_status(submission, staff=False)  # while results are held, "received" for graded and failed
        raise Invalid(f"submission {submission.id} is {state}: only a graded submission can be chosen to count")
    now = now or utcnow()
    if not may_choose(session, submission.problem, user.id, now):
        deadline = deadline_for(session, submission.problem, user.id)
        assert deadline is not None
        raise Forbidden(
            f"the deadline of {submission.problem.slug} was {deadline:%Y-%m-%d %H:%M} UTC: "
            "the submission that counts can no longer be changed"
        )
    submission.activated_at = now
    return submission
