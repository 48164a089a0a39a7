"""A regrade's before/after table: each submission's official score and its regraded one, as percentages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adjustments.service import adjusted_count
from app.db.models import Problem, ProblemVersion, Regrade, RegradeState, Submission, SubmissionState, User
from app.problems.changes import inputs_changed


def percent(score: float | None, max_score: float | None) -> float | None:
    """The score as a percentage of its maximum (None when either is unknown or the maximum is 0)."""
    if score is None or not max_score:
        return None
    return round(100.0 * score / max_score, 2)


def live_rows(session: Session, regrade: Regrade) -> list[dict[str, Any]]:
    """One row per regraded submission, against the official scores as they stand now."""
    shadows = session.scalars(
        select(Submission).where(Submission.regrade_id == regrade.id).order_by(Submission.source_id)
    )
    originals = {
        s.id: s
        for s in session.scalars(
            select(Submission).where(Submission.problem_id == regrade.problem_id, Submission.regrade_id.is_(None))
        )
    }
    return [_row(shadow, originals.get(shadow.source_id or -1)) for shadow in shadows]


def _row(shadow: Submission, before: Submission | None) -> dict[str, Any]:
    old = (before.score, before.max_score) if before is not None else (None, None)
    new = (shadow.score, shadow.max_score) if shadow.state is SubmissionState.GRADED else (None, None)
    old_pct, new_pct = percent(*old), percent(*new)
    change = None if old_pct is None or new_pct is None else round(new_pct - old_pct, 2)
    return {
        "submission_id": shadow.source_id,
        "user": shadow.user.username,
        "before": old[0],
        "before_max_score": old[1],
        "before_percent": old_pct,
        "after": new[0],
        "after_max_score": new[1],
        "after_percent": new_pct,
        "change": change,
        "status": shadow.state.value,
        "kept_old_score": shadow.state is SubmissionState.FAILED,
        "outcome": _outcome(shadow, old[0], change),
    }


def _outcome(shadow: Submission, before: float | None, change: float | None) -> str:
    if shadow.state in (SubmissionState.QUEUED, SubmissionState.RUNNING):
        return "being regraded"
    if shadow.state is SubmissionState.FAILED:
        reason = (shadow.failure_reason or "no reason was recorded")[:300]
        return f"could not be regraded ({reason}); applying keeps its old score"
    if before is None:
        return "had no official score; the regrade gives it one"
    if not change:
        return "same percentage"
    return "up" if change > 0 else "down"


@dataclass(frozen=True)
class RegradeView:
    """A regrade as the API and the regrade page show it (times as ISO 8601 text)."""

    id: int
    problem: str
    version: int
    state: str
    created_at: str
    created_by: str | None
    finished_at: str | None  # when it was applied or discarded
    applied_by: str | None
    progress: dict[str, int]  # regraded submissions per state
    done: bool
    changed: int
    not_regraded: int
    rows: list[dict[str, Any]]  # as `_row` makes them (an applied regrade keeps them in its record)
    inputs_changed: list[dict[str, Any]]
    adjusted: int  # regraded submissions with manual adjustments: the regrade keeps them


def regrade_view(session: Session, regrade: Regrade) -> RegradeView:
    """The before/after table, who started and applied the regrade and when, and how far grading has got."""
    version = session.get(ProblemVersion, regrade.version_id)
    problem = session.get(Problem, regrade.problem_id)
    assert version is not None and problem is not None
    counts = {s.value: 0 for s in SubmissionState}
    for (state,) in session.execute(select(Submission.state).where(Submission.regrade_id == regrade.id)):
        counts[state.value] += 1
    applied = regrade.state is RegradeState.APPLIED and regrade.record is not None
    # Once applied, the official scores are the new ones: the table is the one kept at that moment.
    rows: list[dict[str, Any]] = list(regrade.record or []) if applied else live_rows(session, regrade)
    return RegradeView(
        id=regrade.id,
        problem=problem.slug,
        version=version.number,
        state=regrade.state.value,
        created_at=regrade.created_at.isoformat(),
        created_by=_username(session, regrade.created_by_id),
        finished_at=regrade.finished_at.isoformat() if regrade.finished_at else None,
        applied_by=_username(session, regrade.applied_by_id),
        progress=counts,
        done=counts["queued"] == 0 and counts["running"] == 0,
        changed=sum(1 for r in rows if r["change"] or (r["before"] is None and r["after"] is not None)),
        not_regraded=sum(1 for r in rows if r["kept_old_score"]),
        rows=rows,
        inputs_changed=inputs_changed_since(session, regrade, version),
        adjusted=adjusted_count(session, [r["submission_id"] for r in rows if r["submission_id"] is not None]),
    )


def inputs_changed_since(session: Session, regrade: Regrade, target: ProblemVersion) -> list[dict[str, Any]]:
    """Per version the regraded submissions were graded on, the tests whose inputs the target version changed."""
    version_ids = set(
        session.scalars(
            select(Submission.version_id)
            .where(Submission.problem_id == regrade.problem_id, Submission.regrade_id.is_(None))
            .distinct()
        )
    )
    found = []
    for version_id in sorted(version_ids - {target.id}):
        source = session.get(ProblemVersion, version_id)
        if source is not None:
            tests = inputs_changed(source.check_report, target.check_report)
            found.append({"from_version": source.number, "tests": tests})
    return sorted(found, key=lambda item: item["from_version"])


def _username(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user is not None else None
