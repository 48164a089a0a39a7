"""Where a queued job stands: its place in the claim order, and when it should start and finish.

The estimate uses the median grading time of recent jobs (`graded_at - started_at` of the last
`RECENT` graded ones) and the number of slots: the embedded pool knows its own; the distributed
mode counts the jobs running now, which is every worker's slots whenever anything waits.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import QueueOrder
from app.db import utcnow
from app.db.models import Submission, SubmissionState
from app.jobs.lease import active_jobs, claim_order

RECENT = 50  # graded jobs whose grading times make the estimate


@dataclass(frozen=True)
class QueueLoad:
    """The queue as a whole: waiting and running jobs, the typical grading time, and the slots at work."""

    queued: int
    running: int
    service_seconds: float | None  # median grading time of recent jobs; None before any was graded
    slots: int

    def wait_before(self, ahead: int) -> float | None:
        """Seconds until a job with `ahead` jobs before it starts; None when nothing was graded yet."""
        if self.service_seconds is None:
            return None
        if ahead + self.running < self.slots:
            return 0.0  # a slot is free for it
        # The running jobs are half done on average; the ones ahead share the slots.
        return (ahead + self.running / 2) * self.service_seconds / self.slots


@dataclass(frozen=True)
class QueuePlace:
    """A queued job's place: `position` 1 is next; the estimates are None until a job was graded."""

    position: int
    ahead: int
    queued: int
    estimated_start: dt.datetime | None
    estimated_finish: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "ahead": self.ahead,
            "queued": self.queued,
            "estimated_start": self.estimated_start.isoformat() if self.estimated_start else None,
            "estimated_finish": self.estimated_finish.isoformat() if self.estimated_finish else None,
        }


def service_seconds(session: Session, recent: int = RECENT) -> float | None:
    """The median time from claim to stored result of the last `recent` graded jobs."""
    rows = session.execute(
        select(Submission.started_at, Submission.graded_at)
        .where(Submission.state == SubmissionState.GRADED, Submission.graded_at.is_not(None))
        .order_by(Submission.graded_at.desc())
        .limit(recent)
    ).all()
    times = [(g - s).total_seconds() for s, g in rows if s is not None and g is not None and g >= s]
    return statistics.median(times) if times else None


def queue_load(session: Session, slots: int | None) -> QueueLoad:
    """The queue now; `slots` is the pool's size when known (embedded), else the running jobs are counted."""
    counts = dict(
        session.execute(
            select(Submission.state, func.count())
            .where(Submission.state.in_([SubmissionState.QUEUED, SubmissionState.RUNNING]))
            .group_by(Submission.state)
        ).all()
    )
    running = int(counts.get(SubmissionState.RUNNING, 0))
    return QueueLoad(
        queued=int(counts.get(SubmissionState.QUEUED, 0)),
        running=running,
        service_seconds=service_seconds(session),
        slots=max(1, slots if slots else running),
    )


def queue_place(session: Session, submission_id: int, order: QueueOrder, slots: int | None) -> QueuePlace | None:
    """The job's place in the claim order and its estimated start and finish; None when it is not queued."""
    active = active_jobs(utcnow())
    ranked = (
        select(active.c.id, func.row_number().over(order_by=claim_order(active, order)).label("position"))
        .where(active.c.state == SubmissionState.QUEUED)
        .subquery("ranked")
    )
    position = session.scalar(select(ranked.c.position).where(ranked.c.id == submission_id))
    if position is None:
        return None
    load = queue_load(session, slots)
    ahead = int(position) - 1
    wait = load.wait_before(ahead)
    if wait is None or load.service_seconds is None:
        return QueuePlace(int(position), ahead, load.queued, None, None)
    start = utcnow() + dt.timedelta(seconds=wait)
    return QueuePlace(int(position), ahead, load.queued, start, start + dt.timedelta(seconds=load.service_seconds))
