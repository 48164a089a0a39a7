"""Taking in work to grade, the same way from the API and the dashboard: the dispatcher is told after the commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.service import course_access, instructor_access
from app.db.models import ProblemVersion, SubmissionState, User
from app.errors import Invalid
from app.jobs.pool import notify_after_commit
from app.problems import service as problems
from app.regrades import service as regrades
from app.runtime import Runtime
from app.submissions.service import check_files, create_submission


@dataclass(frozen=True)
class Accepted:
    """A stored submission: its id, state, lateness, and notes on how a submitted notebook was read."""

    id: int
    state: SubmissionState
    late: bool
    notes: list[str]


def submit(runtime: Runtime, user: User, course: str, slug: str, files: Mapping[str, bytes]) -> Accepted:
    """Check the files, then store the submission; once it is committed, send it to be graded."""
    with runtime.db.read() as session:
        access = course_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        if problem.current_version_id is None:
            raise Invalid(f"{slug} has no version to grade against yet")
        version_id = problem.current_version_id
        bundle = runtime.bundles.get(session, version_id)
    checked = check_files(bundle, version_id, files)
    with runtime.db.session() as session:
        access = course_access(session, course, user)
        problem = problems.get_problem(session, access, slug)
        lock_submitter(session, user)
        submission = create_submission(session, access, problem, checked, user)
        accepted = Accepted(submission.id, submission.state, submission.late, checked.notes)
        notify_after_commit(session, runtime.dispatcher, submission.id)
    runtime.metrics.submissions_created.inc()
    return accepted


def lock_submitter(session: Session, user: User) -> None:
    """Hold the submitter's row until the commit, so one student's submissions are counted against the
    quota one at a time (on PostgreSQL concurrent posts would each count the others' uncommitted rows
    as absent; SQLite's write transactions are one at a time already)."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update())


def start_regrade(runtime: Runtime, user: User, course: str, slug: str, version: int | None) -> int:
    """Queue a regrade of every submission against `version` (default: the current one); returns its id."""
    with runtime.db.session() as session:
        problem = problems.get_problem(session, instructor_access(session, course, user), slug)
        if version is not None:
            target = problems.get_version(session, problem, version)
        else:
            current = session.get(ProblemVersion, problem.current_version_id) if problem.current_version_id else None
            if current is None:
                raise Invalid(f"{slug} has no version yet")
            target = current
        regrade, jobs = regrades.start_regrade(session, problem, target, session.merge(user))
        regrade_id = regrade.id
        for job in jobs:
            notify_after_commit(session, runtime.dispatcher, job)
    return regrade_id
