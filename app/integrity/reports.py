"""Similarity reports of a problem: asked for, made in the background over stored files, read by instructors.

A report row is its own job: queued, claimed (running, with a lease), then done or failed. A report whose
process died while running is found by its expired lease and run again, failed after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.db.models import (
    Enrollment,
    Problem,
    ReportState,
    Role,
    SimilarityReport,
    Submission,
    SubmissionFile,
    SubmissionState,
    User,
)
from app.errors import NotFound
from app.grades.counting import counting_submissions
from app.integrity.similarity import TOP_PAIRS, boilerplate, compare, document
from app.problems.bundles import BundleCache
from grader.bundle import Bundle
from grader.grading import SubmissionError, validate_submission
from grader.notebooks import is_notebook

log = structlog.get_logger("app.similarity")

LEASE_SECONDS = 600.0  # a report of 300 students takes seconds: one still running after this has died
MAX_ATTEMPTS = 3
UNFINISHED = (ReportState.QUEUED, ReportState.RUNNING)
COMPARED = ".py"  # the submitted files compared: Python modules


def request_report(
    session: Session, problem: Problem, user: User | None, *, after_deadline: bool = False
) -> SimilarityReport:
    """A queued report of `problem`; while one is queued or running, that one (nothing is run twice)."""
    waiting = session.scalar(
        select(SimilarityReport)
        .where(SimilarityReport.problem_id == problem.id, SimilarityReport.state.in_(UNFINISHED))
        .order_by(SimilarityReport.id.desc())
    )
    if waiting is not None:
        return waiting
    report = SimilarityReport(
        problem_id=problem.id, requested_by_id=user.id if user else None, after_deadline=after_deadline
    )
    session.add(report)
    session.flush()
    return report


def latest_report(session: Session, problem: Problem) -> SimilarityReport | None:
    """The newest report of the problem, finished or not."""
    return session.scalar(
        select(SimilarityReport).where(SimilarityReport.problem_id == problem.id).order_by(SimilarityReport.id.desc())
    )


def finished_report(session: Session, problem: Problem) -> SimilarityReport | None:
    """The newest done report: its pairs stay readable while a new one runs."""
    return session.scalar(
        select(SimilarityReport)
        .where(SimilarityReport.problem_id == problem.id, SimilarityReport.state == ReportState.DONE)
        .order_by(SimilarityReport.id.desc())
    )


def get_report(session: Session, problem: Problem, report_id: int) -> SimilarityReport:
    report = session.get(SimilarityReport, report_id)
    if report is None or report.problem_id != problem.id:
        raise NotFound(f"no similarity report {report_id} of {problem.slug}")
    return report


def _past_deadline(now: dt.datetime) -> Any:
    """Problems whose deadline has passed with no after-deadline report made since."""
    since = exists().where(
        SimilarityReport.problem_id == Problem.id,
        SimilarityReport.after_deadline.is_(True),
        SimilarityReport.created_at >= Problem.deadline,
    )
    return and_(Problem.deadline.is_not(None), Problem.deadline <= now, ~since)


def _to_run(now: dt.datetime) -> Any:
    dead = and_(SimilarityReport.state == ReportState.RUNNING, SimilarityReport.lease_expires_at < now)
    return or_(SimilarityReport.state == ReportState.QUEUED, dead)


def anything_due(session: Session, now: dt.datetime) -> bool:
    """Is there a report to queue or to run? (Read-only: most ticks find nothing and take no write lock.)"""
    due = select(Problem.id).where(_past_deadline(now)).limit(1)
    waiting = select(SimilarityReport.id).where(_to_run(now)).limit(1)
    return session.scalar(due) is not None or session.scalar(waiting) is not None


def due_after_deadline(session: Session, now: dt.datetime) -> list[int]:
    """Queue a report of every problem whose deadline has passed with no report asked for since then."""
    problems = session.scalars(select(Problem).where(_past_deadline(now)))
    made = [request_report(session, p, None, after_deadline=True) for p in problems]
    for report in made:
        report.after_deadline = True
    return [r.id for r in made]


def runnable(session: Session, now: dt.datetime) -> list[int]:
    """Reports to start: queued ones, and running ones whose process died (lease expired); a report that
    died `MAX_ATTEMPTS` times is failed instead."""
    dead = and_(SimilarityReport.state == ReportState.RUNNING, SimilarityReport.lease_expires_at < now)
    session.execute(
        update(SimilarityReport)
        .where(dead, SimilarityReport.attempt >= MAX_ATTEMPTS)
        .values(
            state=ReportState.FAILED,
            finished_at=now,
            message=f"the report stopped {MAX_ATTEMPTS} times before it finished (did the service restart?): "
            "run it again",
        )
    )
    return list(session.scalars(select(SimilarityReport.id).where(_to_run(now)).order_by(SimilarityReport.id)))


def claim(session: Session, report_id: int, now: dt.datetime) -> int | None:
    """Mark the report running for this process; the attempt it runs as, or None if another has it."""
    won = session.execute(
        update(SimilarityReport)
        .where(
            SimilarityReport.id == report_id,
            or_(
                SimilarityReport.state == ReportState.QUEUED,
                and_(SimilarityReport.state == ReportState.RUNNING, SimilarityReport.lease_expires_at < now),
            ),
        )
        .values(
            state=ReportState.RUNNING,
            attempt=SimilarityReport.attempt + 1,
            started_at=now,
            lease_expires_at=now + dt.timedelta(seconds=LEASE_SECONDS),
        )
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalar(select(SimilarityReport.attempt).where(SimilarityReport.id == report_id))


@dataclass(frozen=True)
class Counted:
    submission_id: int
    user_id: int
    username: str
    version_id: int


def counting(session: Session, problem: Problem) -> list[Counted]:
    """Each enrolled student's counting submission of the problem, as the gradebook counts it
    (`app.grades.counting`: the problem's rule, best or latest, or the student's own choice)."""
    students = set(
        session.scalars(
            select(Enrollment.user_id).where(Enrollment.course_id == problem.course_id, Enrollment.role == Role.STUDENT)
        )
    )
    chosen = counting_submissions(session, problem.course, problem_id=problem.id)
    found = [
        Counted(c.submission.id, c.submission.user_id, c.submission.user.username, c.submission.version_id)
        for (uid, _), c in chosen.items()
        if uid in students and c.submission.state is SubmissionState.GRADED
    ]
    return sorted(found, key=lambda c: c.submission_id)


def _modules(bundle: Bundle, files: list[tuple[str, bytes]]) -> dict[str, str]:
    """The Python the submission gives the problem: a notebook's code cells as the modules grading makes of them."""
    raw = dict(files)
    if any(is_notebook(name) for name in raw):
        try:
            raw = dict(validate_submission(bundle, raw).modules)
        except SubmissionError:
            raw = {}
    return _sources(raw.items())


def _sources(files: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    out = {}
    for name, content in files:
        if name.endswith(COMPARED):
            out[name] = content.decode("utf-8", errors="replace")
    return out


def _given(session: Session, bundles: BundleCache, problem: Problem, versions: set[int]) -> set[int]:
    """Fingerprints of the starter and support files of every version the counted submissions were made for."""
    ids = set(versions) | ({problem.current_version_id} if problem.current_version_id else set())
    texts = []
    for version_id in sorted(ids):
        bundle = bundles.get(session, version_id)
        for folder in ("starter", "support"):
            texts += [
                v.decode("utf-8", errors="replace") for k, v in bundle.folder(folder).items() if k.endswith(COMPARED)
            ]
    return boilerplate(texts)


def make_report(session: Session, bundles: BundleCache, problem: Problem, top: int = TOP_PAIRS) -> dict[str, Any]:
    """Compare the counting submissions: their number, the time taken and the top pairs (stored as JSON)."""
    counted = counting(session, problem)
    by_id = {c.submission_id: c for c in counted}
    given = _given(session, bundles, problem, {c.version_id for c in counted})
    files: dict[int, list[tuple[str, bytes]]] = {c.submission_id: [] for c in counted}
    ids = sorted(by_id)
    for first in range(0, len(ids), 500):
        part = ids[first : first + 500]
        rows = session.execute(
            select(SubmissionFile.submission_id, SubmissionFile.name, SubmissionFile.content).where(
                SubmissionFile.submission_id.in_(part)
            )
        )
        for sid, name, content in rows:
            files[sid].append((name, content))
    docs = [document(sid, _modules(bundles.get(session, by_id[sid].version_id), files[sid]), given) for sid in ids]
    result = compare(docs, top)
    pairs = []
    for pair in result.pairs:
        entry = pair.to_dict()
        for side in ("a", "b"):
            who = by_id[pair.a if side == "a" else pair.b]
            entry[side] = {"submission": who.submission_id, "user": who.username}
        pairs.append(entry)
    return {"submissions": len(counted), "pairs": pairs}


def run_report(db: Database, bundles: BundleCache, report_id: int) -> bool:
    """Claim, make and store one report; False when another process had it. A crash fails the report."""
    with db.session() as session:
        attempt = claim(session, report_id, utcnow())
    if attempt is None:
        return False
    started = utcnow()
    try:
        with db.read() as session:
            report = session.get(SimilarityReport, report_id)
            problem = session.get(Problem, report.problem_id) if report else None
            if problem is None:
                return False
            made = make_report(session, bundles, problem)
    except Exception as exc:  # the service, not the students: say so on the report rather than lose it
        log.exception("similarity_report_crashed", report_id=report_id)
        _store(
            db, report_id, attempt, ReportState.FAILED, message=f"the report could not be made ({exc}); run it again"
        )
        return True
    seconds = (utcnow() - started).total_seconds()
    _store(
        db, report_id, attempt, ReportState.DONE, submissions=made["submissions"], seconds=seconds, pairs=made["pairs"]
    )
    log.info("similarity_report_done", report_id=report_id, submissions=made["submissions"], seconds=round(seconds, 2))
    return True


def _store(db: Database, report_id: int, attempt: int, state: ReportState, **values: Any) -> None:
    """Finish the report, if this attempt still holds it (a newer attempt's result is never overwritten)."""
    with db.session() as session:
        session.execute(
            update(SimilarityReport)
            .where(SimilarityReport.id == report_id, SimilarityReport.attempt == attempt)
            .values(state=state, finished_at=utcnow(), lease_expires_at=None, **values)
        )


def report_view(report: SimilarityReport | None, shown: SimilarityReport | None) -> dict[str, Any]:
    """What the API and the page say of a problem's similarity: the newest report's state, and the pairs of
    the newest finished one (`shown`), which stay while a new report runs."""
    latest = report or shown
    return {
        "id": latest.id if latest else None,
        "state": latest.state.value if latest else None,
        "after_deadline": latest.after_deadline if latest else False,
        "created_at": latest.created_at if latest else None,
        "finished_at": latest.finished_at if latest else None,
        "message": latest.message if latest else "",
        "shown": shown.id if shown else None,
        "shown_finished_at": shown.finished_at if shown else None,
        "submissions": shown.submissions if shown else 0,
        "seconds": round(shown.seconds, 3) if shown else None,
        "pairs": [{"rank": i + 1, **p} for i, p in enumerate(shown.pairs or [])] if shown else [],
    }


def problem_similarity(session: Session, problem: Problem) -> dict[str, Any]:
    return report_view(latest_report(session, problem), finished_report(session, problem))


def pair_of(session: Session, problem: Problem, report_id: int, rank: int) -> dict[str, Any]:
    """One pair of a finished report, by its rank (1 is the most similar)."""
    report = get_report(session, problem, report_id)
    pairs = report.pairs or []
    if not 1 <= rank <= len(pairs):
        raise NotFound(f"report {report_id} of {problem.slug} has {len(pairs)} pairs; there is no pair {rank}")
    return {"rank": rank, **pairs[rank - 1]}


def compared_files(session: Session, problem: Problem, submission_id: int) -> dict[str, bytes]:
    """The compared files of a submission of the problem, as stored."""
    if session.scalar(select(Submission.problem_id).where(Submission.id == submission_id)) != problem.id:
        raise NotFound(f"submission {submission_id} is not one of {problem.slug}'s (was it deleted?)")
    rows = session.execute(
        select(SubmissionFile.name, SubmissionFile.content).where(SubmissionFile.submission_id == submission_id)
    )
    return {name: content for name, content in rows if name.endswith(COMPARED)}
