"""Manual adjustments: staff add or take points on a graded submission, with a comment its student reads.

Adjustments are a ledger: a row is never edited or deleted; a correction is a new row and removing one is a
new row that cancels it. `Submission.adjustment` holds their sum, updated in the same transaction as each row.
The score that counts is `adjusted_score`: the graded score plus the adjustments, kept within
[0, max_score] (a submission can neither go below nothing nor above full marks). A regrade replaces the graded
score and keeps the adjustments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import ScoreAdjustment, Submission, SubmissionState, User
from app.errors import Conflict, Invalid, NotFound

MAX_COMMENT = 2000
MAX_POINTS = 1000.0
MIN_POINTS = 0.01


def adjusted(score: float | None, adjustment: float, max_score: float | None) -> float | None:
    """The graded score plus its adjustments, within [0, max_score]; None while there is no graded score."""
    if score is None:
        return None
    total = score + (adjustment or 0.0)
    if max_score is not None:
        total = min(total, max_score)
    return max(0.0, total)


def adjusted_score(submission: Submission) -> float | None:
    """The score that counts for a submission: its graded score with the manual adjustments (see `adjusted`)."""
    return adjusted(submission.score, submission.adjustment, submission.max_score)


def check_comment(text: str, what: str = "comment") -> str:
    text = text.strip()
    if not text:
        raise Invalid(f"the {what} is empty: write what the student should read about it")
    if len(text) > MAX_COMMENT:
        raise Invalid(f"the {what} has {len(text)} characters: keep it under {MAX_COMMENT}")
    if "\x00" in text:
        raise Invalid(f"the {what} contains a NUL character: send plain text")
    return text


def _check_points(points: float) -> float:
    if not math.isfinite(points) or points == 0:
        raise Invalid("the points must be a number other than 0: positive adds points, negative takes them away")
    if abs(points) > MAX_POINTS:
        raise Invalid(f"the points {points:g} are too many: at most {MAX_POINTS:g} either way")
    if abs(points) < MIN_POINTS:
        raise Invalid(f"the points {points:g} are too few to see: at least {MIN_POINTS:g} either way")
    return float(points)


def _adjustable(submission: Submission) -> None:
    if submission.regrade_id is not None:
        raise Invalid(f"submission {submission.id} is a regrade's copy: adjust the submission itself")
    if submission.state is not SubmissionState.GRADED:
        raise Invalid(
            f"submission {submission.id} is {submission.state.value}, not graded: only a graded score can be adjusted"
        )


def add_adjustment(
    session: Session, submission: Submission, author: User, points: float, comment: str
) -> ScoreAdjustment:
    """Add `points` (negative takes away) with a comment the student reads; the sum moves in the same transaction."""
    _adjustable(submission)
    return _record(session, submission, author, _check_points(points), check_comment(comment), None)


def remove_adjustment(
    session: Session, submission: Submission, author: User, adjustment_id: int, comment: str
) -> ScoreAdjustment:
    """Cancel an earlier adjustment with a new row of the opposite points (the earlier one stays in the history)."""
    _adjustable(submission)
    target = session.get(ScoreAdjustment, adjustment_id)
    if target is None or target.submission_id != submission.id:
        raise NotFound(f"submission {submission.id} has no adjustment {adjustment_id}")
    if target.cancels_id is not None:
        raise Invalid(f"adjustment {adjustment_id} is itself a removal: add a new adjustment instead")
    done = session.scalar(select(ScoreAdjustment.id).where(ScoreAdjustment.cancels_id == adjustment_id))
    if done is not None:
        raise Conflict(f"adjustment {adjustment_id} was already removed (by adjustment {done})")
    return _record(session, submission, author, -target.points, check_comment(comment), target.id)


def _record(
    session: Session, submission: Submission, author: User, points: float, comment: str, cancels: int | None
) -> ScoreAdjustment:
    row = ScoreAdjustment(
        submission_id=submission.id, points=points, comment=comment, author_id=author.id, cancels_id=cancels
    )
    session.add(row)
    # One UPDATE adds to the stored sum, so two staff adjusting at once both count.
    session.execute(
        update(Submission)
        .where(Submission.id == submission.id)
        .values(adjustment=Submission.adjustment + points)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(submission, ["adjustment"])
    return row


def history(session: Session, submission_id: int) -> list[ScoreAdjustment]:
    """Every adjustment of a submission, oldest first."""
    return list(
        session.scalars(
            select(ScoreAdjustment).where(ScoreAdjustment.submission_id == submission_id).order_by(ScoreAdjustment.id)
        )
    )


def adjusted_count(session: Session, submission_ids: list[int]) -> int:
    """How many of these submissions have a manual adjustment (even one later cancelled)."""
    if not submission_ids:
        return 0
    query = select(func.count(func.distinct(ScoreAdjustment.submission_id))).where(
        ScoreAdjustment.submission_id.in_(submission_ids)
    )
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class AdjustmentView:
    """One adjustment as a viewer reads it; `author` only for staff (students read the comment, not who wrote it)."""

    id: int
    points: float
    comment: str
    created_at: str
    cancels: int | None
    cancelled_by: int | None
    author: str | None


def adjustment_views(rows: list[ScoreAdjustment], *, staff: bool) -> list[AdjustmentView]:
    cancelled = {r.cancels_id: r.id for r in rows if r.cancels_id is not None}
    return [
        AdjustmentView(
            id=r.id,
            points=r.points,
            comment=r.comment,
            created_at=r.created_at.isoformat(),
            cancels=r.cancels_id,
            cancelled_by=cancelled.get(r.id),
            author=(r.author.username if r.author else None) if staff else None,
        )
        for r in rows
    ]
