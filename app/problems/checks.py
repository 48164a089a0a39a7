"""Upload checks: an uploaded bundle waits in a row while it is checked, then becomes a version or not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.db.models import CheckState, Course, Problem, ProblemVersion, UploadCheck, User, new_seed_secret
from app.errors import Conflict, Invalid, NotFound, ServiceError
from app.problems import service as problems
from app.problems.changes import describe_changes
from grader.bundle import Bundle, bundle_to_zip, load_bundle_zip

UNFINISHED = (CheckState.QUEUED, CheckState.RUNNING)
ABANDONED = "the service stopped while this bundle was being checked, so nothing was stored: upload the bundle again"
FAILED_CHECKS = "the bundle failed its checks in the sandbox; nothing was stored: fix what the report names"


def start_check(session: Session, course: Course, user: User, bundle: Bundle, problem: Problem | None) -> UploadCheck:
    """A queued check of a new problem (`problem` None) or of a new version of `problem`."""
    if problem is None:
        _refuse_existing(session, course, bundle.slug)
        secret = new_seed_secret()
    else:
        _refuse_same(session, problem, bundle)
        secret = problem.seed_secret
    check = UploadCheck(
        course_id=course.id,
        slug=bundle.slug,
        new_problem=problem is None,
        digest=bundle.digest,
        bundle_zip=bundle_to_zip(bundle),
        seed_secret=secret,
        created_by_id=user.id,
        message="waiting for a sandbox to check it",
    )
    session.add(check)
    session.flush()
    return check


def _refuse_existing(session: Session, course: Course, slug: str) -> None:
    if session.scalar(select(Problem.id).where(Problem.course_id == course.id, Problem.slug == slug)) is not None:
        raise Conflict(
            f"course {course.slug} already has a problem {slug!r}: "
            f"upload a new version to /api/v1/courses/{course.slug}/problems/{slug}/versions"
        )


def _refuse_same(session: Session, problem: Problem, bundle: Bundle) -> None:
    if bundle.slug != problem.slug:
        raise Invalid(f"the bundle's slug is {bundle.slug!r} but this problem is {problem.slug!r}")
    current = session.get(ProblemVersion, problem.current_version_id) if problem.current_version_id else None
    if current is not None and current.digest == bundle.digest:
        raise Conflict(
            f"this bundle is identical to version {current.number}, the current version of {problem.slug}; "
            "no new version was made: change the bundle and upload it again"
        )


def get_check(session: Session, course: Course, check_id: int) -> UploadCheck:
    """A check of the course's uploads."""
    check = session.get(UploadCheck, check_id)
    if check is None or check.course_id != course.id:
        raise NotFound(f"no upload check {check_id} in course {course.slug}")
    return check


def claim_check(session: Session, check_id: int) -> UploadCheck | None:
    """Mark a queued check running; None when it is not queued any more (failed on a restart, or taken)."""
    check = session.get(UploadCheck, check_id)
    if check is None or check.state is not CheckState.QUEUED:
        return None
    check.state = CheckState.RUNNING
    check.message = "checking in the sandbox"
    check.heartbeat_at = utcnow()
    return check


def record_progress(session: Session, check_id: int, report: dict[str, Any], progress: float) -> None:
    """The report so far, so a page can show it as it arrives."""
    session.execute(
        update(UploadCheck)
        .where(UploadCheck.id == check_id, UploadCheck.state == CheckState.RUNNING)
        .values(report=report, progress=min(1.0, max(0.0, progress)), heartbeat_at=utcnow())
    )


def finish_check(session: Session, check_id: int, report: dict[str, Any] | None) -> ProblemVersion | None:
    """Store the version when the check passed (`report` None: not checked); returns it, or None on failure."""
    check = session.get(UploadCheck, check_id)
    if check is None or check.state not in UNFINISHED or check.bundle_zip is None:
        return None
    bundle = load_bundle_zip(check.bundle_zip, source=f"upload check {check.id}")
    check.report, check.progress = report, 1.0
    if report is not None and not report.get("ok"):
        _end(check, CheckState.FAILED, FAILED_CHECKS)
        return None
    try:  # every refusal comes before the first write
        version = _store(session, check, bundle, report)
    except ServiceError as exc:  # the problem was added, or the same bundle stored, while this one was checked
        _end(check, CheckState.FAILED, f"{exc.detail}; nothing was stored")
        return None
    check.version_number = version.number
    _end(check, CheckState.PASSED, f"version {version.number} of {check.slug} is now current")
    return version


def _store(session: Session, check: UploadCheck, bundle: Bundle, report: dict[str, Any] | None) -> ProblemVersion:
    course = session.get(Course, check.course_id)
    user = session.get(User, check.created_by_id) if check.created_by_id else None
    assert course is not None
    if check.new_problem:
        _, version = problems.add_problem(session, course, bundle, user, report, seed_secret=check.seed_secret)
        check.changes = describe_changes(None, None, bundle, report, None)
        return version
    problem = session.scalar(select(Problem).where(Problem.course_id == course.id, Problem.slug == check.slug))
    if problem is None:
        raise NotFound(f"problem {check.slug} was deleted while its new version was checked")
    _refuse_same(session, problem, bundle)
    before = session.get(ProblemVersion, problem.current_version_id) if problem.current_version_id else None
    version = problems.add_version(session, problem, bundle, user, report)
    old = load_bundle_zip(before.bundle_zip, source="previous version") if before else None
    check.changes = describe_changes(
        old, before.check_report if before else None, bundle, report, before.number if before else None
    )
    return version


def fail_check(session: Session, check_id: int, message: str) -> None:
    """End an unfinished check as failed, with the reason the instructor reads."""
    check = session.get(UploadCheck, check_id)
    if check is not None and check.state in UNFINISHED:
        _end(check, CheckState.FAILED, message)


def _end(check: UploadCheck, state: CheckState, message: str) -> None:
    check.state, check.message, check.finished_at = state, message[:2000], utcnow()
    check.bundle_zip = None  # a failed check keeps nothing but its report; a passed one lives in its version


def fail_abandoned(session: Session, beaten_before: dt.datetime | None) -> int:
    """Fail unfinished checks whose process stopped (no heartbeat since `beaten_before`; None: all of them)."""
    query = update(UploadCheck).where(UploadCheck.state.in_(UNFINISHED))
    if beaten_before is not None:
        query = query.where(UploadCheck.heartbeat_at < beaten_before)
    result = session.execute(
        query.values(state=CheckState.FAILED, message=ABANDONED, finished_at=utcnow(), bundle_zip=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def any_unfinished(session: Session) -> bool:
    """Whether any upload check is queued or running (in any process)."""
    return session.scalar(select(UploadCheck.id).where(UploadCheck.state.in_(UNFINISHED)).limit(1)) is not None


def beat(session: Session, check_ids: list[int]) -> None:
    """This process is still checking these."""
    if check_ids:
        session.execute(
            update(UploadCheck)
            .where(UploadCheck.id.in_(check_ids), UploadCheck.state.in_(UNFINISHED))
            .values(heartbeat_at=utcnow())
        )
