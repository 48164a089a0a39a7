"""Problems of a course: installing bundles as versions, publishing, deadlines, quotas."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.service import CourseAccess, check_slug
from app.db import utcnow
from app.db.models import Counting, Course, LatePolicy, Problem, ProblemVersion, User
from app.downloads import Download
from app.errors import Conflict, Invalid, NotFound, TooLarge
from app.problems.release import is_open, open_clause
from grader.bundle import Bundle, BundleError, bundle_to_zip, load_bundle_zip

if TYPE_CHECKING:
    from app.problems.bundles import BundleCache
    from app.problems.kits import CheckKits


def read_upload(data: bytes, max_bytes: int) -> Bundle:
    """Parse and validate an uploaded bundle zip (no problem code runs here)."""
    if len(data) > max_bytes:
        raise TooLarge(f"the bundle is {len(data)} bytes; at most {max_bytes} are accepted")
    if not data:
        raise Invalid("the bundle upload is empty: attach the zip of the problem folder as 'bundle'")
    try:
        bundle = load_bundle_zip(data, source="upload")
    except BundleError as exc:
        raise Invalid("the bundle is not valid; nothing was stored", errors=exc.errors) from None
    check_slug(bundle.slug, "problem")
    return bundle


def get_problem(session: Session, access: CourseAccess, slug: str) -> Problem:
    """A problem of the course; unpublished and not yet opened problems exist only for staff (instructors and TAs)."""
    problem = session.scalar(select(Problem).where(Problem.course_id == access.course.id, Problem.slug == slug))
    if problem is None or (not access.is_staff and not is_open(problem)):
        raise NotFound(f"no problem {slug[:80]!r} in course {access.course.slug}")
    return problem


def list_problems(session: Session, access: CourseAccess) -> list[Problem]:
    query = select(Problem).where(Problem.course_id == access.course.id).order_by(Problem.id)
    if not access.is_staff:
        query = query.where(open_clause())
    return list(session.scalars(query))


def add_problem(
    session: Session,
    course: Course,
    bundle: Bundle,
    user: User | None,
    check_report: dict[str, Any] | None,
    *,
    seed_secret: bytes | None = None,
) -> tuple[Problem, ProblemVersion]:
    """A new problem from a checked bundle (unpublished until an instructor publishes it).

    `seed_secret` is the key its check ran with; without one the problem gets a fresh key."""
    exists = session.scalar(select(Problem.id).where(Problem.course_id == course.id, Problem.slug == bundle.slug))
    if exists is not None:
        raise Conflict(
            f"course {course.slug} already has a problem {bundle.slug!r}: "
            f"upload a new version to /api/v1/courses/{course.slug}/problems/{bundle.slug}/versions"
        )
    problem = Problem(course_id=course.id, slug=bundle.slug, title=bundle.spec.title)
    if seed_secret is not None:
        problem.seed_secret = seed_secret
    session.add(problem)
    session.flush()
    return problem, add_version(session, problem, bundle, user, check_report)


def add_version(
    session: Session, problem: Problem, bundle: Bundle, user: User | None, check_report: dict[str, Any] | None
) -> ProblemVersion:
    """Store a checked bundle as the problem's next version and make it current."""
    if bundle.slug != problem.slug:
        raise Invalid(f"the bundle's slug is {bundle.slug!r} but this problem is {problem.slug!r}")
    number = (
        session.scalar(select(func.max(ProblemVersion.number)).where(ProblemVersion.problem_id == problem.id)) or 0
    ) + 1
    version = ProblemVersion(
        problem_id=problem.id,
        number=number,
        label=bundle.spec.version,
        digest=bundle.digest,
        bundle_zip=bundle_to_zip(bundle),
        check_report=check_report,
        created_by_id=user.id if user else None,
    )
    session.add(version)
    session.flush()
    problem.current_version_id = version.id
    problem.title = bundle.spec.title
    return version


def versions(session: Session, problem: Problem) -> list[ProblemVersion]:
    return list(
        session.scalars(
            select(ProblemVersion).where(ProblemVersion.problem_id == problem.id).order_by(ProblemVersion.number)
        )
    )


def get_version(session: Session, problem: Problem, number: int) -> ProblemVersion:
    if not 1 <= number <= 2**31 - 1:
        raise NotFound(f"problem {problem.slug} has no version {number}")
    version = session.scalar(
        select(ProblemVersion).where(ProblemVersion.problem_id == problem.id, ProblemVersion.number == number)
    )
    if version is None:
        raise NotFound(f"problem {problem.slug} has no version {number}")
    return version


@dataclass(frozen=True)
class ProblemChanges:
    """Fields an instructor may change; None leaves a field as it is."""

    title: str | None = None
    published: bool | None = None
    deadline: dt.datetime | None = None
    clear_deadline: bool = False
    late_policy: LatePolicy | None = None
    late_penalty: float | None = None
    quota_count: int | None = None
    clear_quota: bool = False
    quota_window_seconds: int | None = None
    reveal_hidden_after_deadline: bool | None = None
    supersede_queued: bool | None = None
    current_version: int | None = None
    late_days_max: int | None = None
    opens_at: dt.datetime | None = None
    clear_opens_at: bool = False
    results_held: bool | None = None
    results_release_at: dt.datetime | None = None
    clear_results_release_at: bool = False
    counting: Counting | None = None


def _aware(when: dt.datetime, what: str) -> dt.datetime:
    if when.tzinfo is None:
        raise Invalid(f"the {what} needs a time zone, e.g. 2026-12-01T23:59:00+00:00")
    try:
        return when.astimezone(dt.UTC)
    except OverflowError:
        raise Invalid(f"the {what} {when.isoformat()} is out of range: give a time between years 1 and 9999") from None


def update_problem(session: Session, problem: Problem, changes: ProblemChanges) -> Problem:
    _update_release(problem, changes)
    if changes.title is not None:
        problem.title = changes.title[:200]
    if changes.published is not None:
        problem.published = changes.published
    if changes.clear_deadline:
        problem.deadline = None
    elif changes.deadline is not None:
        problem.deadline = _aware(changes.deadline, "deadline")
    if changes.late_policy is not None:
        problem.late_policy = changes.late_policy
    if changes.late_penalty is not None:
        if not 0.0 <= changes.late_penalty <= 1.0:
            raise Invalid(
                f"late_penalty is the fraction of the score taken off, from 0 to 1, not {changes.late_penalty}"
            )
        problem.late_penalty = changes.late_penalty
    if changes.clear_quota:
        problem.quota_count = None
    elif changes.quota_count is not None:
        if not 1 <= changes.quota_count <= 100_000:
            raise Invalid("quota_count must be from 1 to 100000 (clear the quota to allow any number)")
        problem.quota_count = changes.quota_count
    if changes.quota_window_seconds is not None:
        if not 60 <= changes.quota_window_seconds <= 366 * 86400:
            raise Invalid("quota_window_seconds must be between 60 and 31622400 (one year)")
        problem.quota_window_seconds = changes.quota_window_seconds
    if changes.reveal_hidden_after_deadline is not None:
        problem.reveal_hidden_after_deadline = changes.reveal_hidden_after_deadline
    if changes.supersede_queued is not None:
        problem.supersede_queued = changes.supersede_queued
    if changes.late_days_max is not None:
        if not 0 <= changes.late_days_max <= 365:
            raise Invalid(f"late_days_max must be from 0 to 365 days, not {changes.late_days_max}")
        problem.late_days_max = changes.late_days_max
    if changes.current_version is not None:
        problem.current_version_id = get_version(session, problem, changes.current_version).id
    return problem


def _update_release(problem: Problem, changes: ProblemChanges) -> None:
    """The release date, held results and which submission counts."""
    if changes.clear_opens_at:
        problem.opens_at = None
    elif changes.opens_at is not None:
        problem.opens_at = _aware(changes.opens_at, "release date (opens_at)")
    if changes.clear_results_release_at:
        problem.results_release_at = None
    elif changes.results_release_at is not None:
        problem.results_release_at = _aware(changes.results_release_at, "results release time")
        if changes.results_held is None:
            problem.results_held = True  # a release time means the results are held until then
    if changes.results_held is not None:
        problem.results_held = changes.results_held
        if not changes.results_held:
            problem.results_release_at = None
    if changes.counting is not None:
        problem.counting = changes.counting


def deadline_passed(problem: Problem, now: dt.datetime | None = None) -> bool:
    return problem.deadline is not None and (now or utcnow()) > problem.deadline


def starter_zip(bundle: Bundle, kit: Mapping[str, bytes] | None = None) -> bytes:
    """The starter files and read-only support files a student downloads (a file in both is there once), and
    the check kit (`check.py` and its folder) when there is one."""
    files = {**bundle.folder("support"), **bundle.folder("starter"), **(kit or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            # a fixed date: the same files make the same zip, whichever second it is asked for
            entry = zipfile.ZipInfo(f"{bundle.slug}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def starter_download(
    session: Session, bundles: BundleCache, kits: CheckKits, access: CourseAccess, slug: str
) -> Download:
    """The starter zip of a problem's current version, with its check kit, as the API and the problem page
    hand it out."""
    problem = get_problem(session, access, slug)
    if problem.current_version_id is None:
        raise Invalid(f"{slug} has no version yet")
    bundle = bundles.get(session, problem.current_version_id)
    kit = kits.get(problem.current_version_id, bundle, bundles.seed_key(session, problem.id))
    data = starter_zip(bundle, kit)
    return Download(data, f"{slug}-starter.zip", "application/zip")
