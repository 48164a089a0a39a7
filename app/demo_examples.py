"""The demo student's example submissions, graded in the sandbox when the demo is set up.

A fresh demo course then shows, with real results: a submission with a known mistake (failing tests, the likely
cause, a TA's manual adjustment and an open regrade request), a submission the student chose to count over a
later one, and a submission on the problem whose results are held. A demo student who has submitted already
gets no examples: their own work is never mixed with made-up work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.courses.service import course_access
from app.db import Database
from app.db.models import Course, Problem, Submission, SubmissionState, User
from app.grades.counting import activate
from app.jobs.grading import Grader, GradingConfig
from app.jobs.pool import acquire_sandboxes
from app.metrics import Metrics
from app.problems.bundles import BundleCache
from app.setup import DEMO_COURSE, DEMO_HELD, DEMO_LATEST, demo_review
from app.submissions.service import check_files, create_submission
from grader.bundle import Bundle
from grader.grading import mutated_files
from grader.sandbox import SandboxUnavailable

DEMO_MISTAKE = ("layers", "dropout_not_rescaled")  # graded with the diagnosis, then adjusted and questioned
DEMO_CHOSEN_MISTAKE = "relu_mask_from_dout"  # on DEMO_LATEST: right first, then this; the student keeps the first


@dataclass(frozen=True)
class _Planned:
    slug: str
    files: dict[str, bytes]
    what: str
    chosen: bool = False  # the student chooses this one to count


def _with_mistake(bundle: Bundle, name: str) -> dict[str, bytes]:
    mistake = next(m for m in bundle.spec.mistakes if m.name == name)
    return mutated_files(bundle, mistake)


def _plan(bundles: dict[str, Bundle]) -> list[_Planned]:
    """The examples in the order they are submitted: the one with a mistake last, as the review examples go on
    the latest submission that lost points."""
    plan = []
    if DEMO_LATEST in bundles:
        bundle = bundles[DEMO_LATEST]
        plan.append(_Planned(DEMO_LATEST, bundle.solution_files(), "right, chosen to count", chosen=True))
        plan.append(_Planned(DEMO_LATEST, _with_mistake(bundle, DEMO_CHOSEN_MISTAKE), "later, with a mistake"))
    if DEMO_HELD in bundles:
        plan.append(_Planned(DEMO_HELD, bundles[DEMO_HELD].solution_files(), "results held"))
    slug, mistake = DEMO_MISTAKE
    if slug in bundles:
        plan.append(_Planned(slug, _with_mistake(bundles[slug], mistake), f"with the mistake {mistake}"))
    return plan


def _people(session: Session) -> tuple[Course, User] | None:
    course = session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    student = session.scalar(select(User).where(User.username == "student"))
    return None if course is None or student is None else (course, student)


def _has_submitted(session: Session, course: Course, student: User) -> bool:
    found = session.scalar(
        select(Submission.id).join(Problem).where(Problem.course_id == course.id, Submission.user_id == student.id)
    )
    return found is not None


def seed_demo_submissions(db: Database, settings: Settings) -> list[str]:
    """Submit and grade the demo student's examples once; returns what was done, one line each.

    Each example is stored through the same service as a student's upload and graded by the same grader as
    the workers', one after the other (so a later one never supersedes an earlier one still queued)."""
    cache = BundleCache()
    with db.read() as session:
        found = _people(session)
        if found is None or _has_submitted(session, *found):
            return []
        course, _ = found
        versions = {
            p.slug: p.current_version_id
            for p in session.scalars(select(Problem).where(Problem.course_id == course.id))
            if p.current_version_id is not None
        }
        bundles = {slug: cache.get(session, version) for slug, version in versions.items()}
    try:
        sandboxes = acquire_sandboxes(1, settings.sandbox)
    except SandboxUnavailable as exc:
        return [f"demo: no example submissions, the sandbox is unavailable ({exc}); run the demo command again"]
    grader = Grader(db, GradingConfig(), Metrics(), bundles=cache)
    lines: list[str] = []
    chosen: list[tuple[str, int]] = []
    try:
        for planned in _plan(bundles):
            checked = check_files(bundles[planned.slug], versions[planned.slug], planned.files)
            with db.session() as session:
                course, student = _found(session)
                problem = session.scalar(
                    select(Problem).where(Problem.course_id == course.id, Problem.slug == planned.slug)
                )
                assert problem is not None
                access = course_access(session, course.slug, student)
                submission_id = create_submission(session, access, problem, checked, student).id
            state = grader.grade(submission_id, sandboxes[0])
            lines.append(f"demo: submission {submission_id} on {planned.slug} ({planned.what}): {_state(state)}")
            if planned.chosen and state is SubmissionState.GRADED:
                chosen.append((planned.slug, submission_id))
    finally:
        for sandbox in sandboxes:
            sandbox.close()
    with db.session() as session:
        for slug, submission_id in chosen:  # after the later submissions: a newer one ends a choice
            activate(session, _found(session)[1], submission_id)
            lines.append(f"demo: submission {submission_id} chosen by the student to count on {slug}")
        lines += demo_review(session, _found(session)[0])
    return lines


def _found(session: Session) -> tuple[Course, User]:
    found = _people(session)
    if found is None:
        raise LookupError("the demo course or the demo student is gone")
    return found


def _state(state: SubmissionState | None) -> str:
    return state.value if state is not None else "not graded (another process holds it)"
