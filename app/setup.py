"""Installing the built-in pack and the demo course: used by the admin CLI and the start command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import create_user, issue_token
from app.adjustments.service import add_adjustment
from app.courses.extensions import ExtensionChange, set_extension
from app.courses.service import create_course, enrol
from app.db import utcnow
from app.db.models import (
    Counting,
    Course,
    Extension,
    Problem,
    ProblemVersion,
    RegradeRequest,
    Role,
    ScoreAdjustment,
    Submission,
    SubmissionState,
    User,
)
from app.problems.service import add_problem, add_version
from app.regrade_requests.service import ask
from grader.bundle import PACK_DIR, list_pack, load_bundle

PACK_REPORT = {"ok": True, "items": [], "note": "built-in pack: checked end to end by check-problem in CI"}


def install_pack(session: Session, course: Course, *, publish: bool = True) -> list[str]:
    """Add each built-in problem to the course, or a new version where the pack changed; returns what changed."""
    changed = []
    for slug in list_pack():
        bundle = load_bundle(PACK_DIR / slug)
        problem = session.scalar(select(Problem).where(Problem.course_id == course.id, Problem.slug == slug))
        if problem is None:
            problem, _ = add_problem(session, course, bundle, None, PACK_REPORT)
            problem.published = publish
            changed.append(f"{slug}: added")
            continue
        current = session.get(ProblemVersion, problem.current_version_id) if problem.current_version_id else None
        if current is None or current.digest != bundle.digest:
            version = add_version(session, problem, bundle, None, PACK_REPORT)
            changed.append(f"{slug}: version {version.number}")
    return changed


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    token: str | None  # None when the account already existed (its earlier token still works)


DEMO_COURSE = "demo"
DEMO_ACCOUNTS = (("instructor", Role.INSTRUCTOR), ("ta", Role.TA), ("student", Role.STUDENT))


def ensure_demo(session: Session, passwords: dict[str, str]) -> tuple[Course, list[DemoLogin], list[str]]:
    """The demo course with the pack, a demo instructor, TA and student; existing data is kept. Once the demo
    student has a graded submission, it also gets an example of manual grading (see `demo_review`)."""
    course = session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    new = course is None
    if course is None:
        course = create_course(session, DEMO_COURSE, "Demo course: deep learning from scratch")
    logins = []
    for username, role in DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.username == username))
        token = None
        if user is None:
            user = create_user(session, username, password=passwords[username], full_name=f"Demo {username}")
            _, token = issue_token(session, user, name="demo", days=365)
        enrol(session, course, user, role)
        logins.append(DemoLogin(username, passwords[username], role.value, token))
    changed = install_pack(session, course)
    _demo_extension(session, course)
    if new:
        _release_examples(session, course)
    changed += demo_review(session, course)
    return course, logins, changed


DEMO_LATE_DAYS = 3


DEMO_DUE = "layers"  # due a week after the demo course is made; the demo student has an extension of another week


def _demo_extension(session: Session, course: Course) -> None:
    """Once, on a fresh demo course: a bank of late days, up to 2 on each problem, a deadline on `layers` and
    an extension of it for the demo student, so the pages show each."""
    if course.late_days or session.scalar(select(Extension.id).join(Problem).where(Problem.course_id == course.id)):
        return
    course.late_days = DEMO_LATE_DAYS
    listed = list(session.scalars(select(Problem).where(Problem.course_id == course.id).order_by(Problem.id)))
    instructor = session.scalar(select(User).where(User.username == "instructor"))
    student = session.scalar(select(User).where(User.username == "student"))
    due = next((p for p in listed if p.slug == DEMO_DUE), None)
    if due is None or instructor is None or student is None:
        return
    for problem in listed:
        problem.late_days_max = 2
    now = utcnow().replace(second=0, microsecond=0)
    if due.deadline is None:
        due.deadline = now + dt.timedelta(days=7)
    change = ExtensionChange(due.deadline + dt.timedelta(days=7), extra_quota=5, reason="demo: an example extension")
    set_extension(session, due, student, change, instructor)


# A new demo course shows the release settings on three problems; later runs leave the instructor's settings be.
DEMO_OPENS_LATER = "cnn"  # opens two weeks after the course is made
DEMO_HELD = "two-layer-net"  # results held until the instructor releases them
DEMO_LATEST = "activations"  # the latest graded submission counts (the others: the best)


def _release_examples(session: Session, course: Course) -> None:
    found = {p.slug: p for p in session.scalars(select(Problem).where(Problem.course_id == course.id))}
    if DEMO_OPENS_LATER in found:
        found[DEMO_OPENS_LATER].opens_at = utcnow() + dt.timedelta(days=14)
    if DEMO_HELD in found:
        found[DEMO_HELD].results_held = True
    if DEMO_LATEST in found:
        found[DEMO_LATEST].counting = Counting.LATEST


def demo_review(session: Session, course: Course) -> list[str]:
    """On the demo student's latest graded submission that lost points, a TA's adjustment and an open regrade
    request, unless the demo course has some already."""
    ta = session.scalar(select(User).where(User.username == "ta"))
    student = session.scalar(select(User).where(User.username == "student"))
    if ta is None or student is None:
        return []
    graded = list(
        session.scalars(
            select(Submission)
            .join(Problem)
            .where(
                Problem.course_id == course.id,
                Submission.user_id == student.id,
                Submission.regrade_id.is_(None),
                Submission.state == SubmissionState.GRADED,
                Problem.results_held.is_(False),  # the student could not see the answer to a request
            )
            .order_by(Submission.id.desc())
        )
    )
    if not graded:
        return []
    # The latest that lost points is the one a student would ask about.
    latest = next((s for s in graded if (s.score or 0.0) < (s.max_score or 0.0)), graded[0])
    done = []
    course_subs = select(Submission.id).join(Problem).where(Problem.course_id == course.id)
    if session.scalar(select(ScoreAdjustment.id).where(ScoreAdjustment.submission_id.in_(course_subs))) is None:
        comment = "Demo: a point back for a clear, well-commented implementation (a TA's manual adjustment)."
        add_adjustment(session, latest, ta, 1.0, comment)
        done.append(f"demo: adjustment on submission {latest.id}")
    if session.scalar(select(RegradeRequest.id).where(RegradeRequest.submission_id.in_(course_subs))) is None:
        reason = "Demo: my dropout follows the lecture notes (out = x * mask); could you check the dropout tests again?"
        ask(session, latest, student, reason)
        done.append(f"demo: regrade request on submission {latest.id}")
    return done
