"""Where a queued job stands: its place in the claim order, and when it should start and finish.

The estimate uses the median grading time of recent jobs (`graded_at - started_at` of the last
`RECENT` graded ones) and the number of slots: the embedded pool knows its own; the distributed
mode counts the jobs running now, which is every worker's slots whenever anything waits.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import QueueOrder
from app.db import utcnow
from app.db.models import Priority, Problem, Submission, SubmissionState
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
    """A queued job's place (`position` 1 is next) and estimates (times as ISO 8601 text; None until a job
    was graded, so there is a grading time to go by)."""

    position: int
    ahead: int
    queued: int
    estimated_start: str | None
    estimated_finish: str | None
    starts_in_seconds: float | None
    finishes_in_seconds: float | None


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
        return QueuePlace(int(position), ahead, load.queued, None, None, None, None)
    now = utcnow()
    finish = wait + load.service_seconds
    return QueuePlace(
        int(position),
        ahead,
        load.queued,
        (now + dt.timedelta(seconds=wait)).isoformat(),
        (now + dt.timedelta(seconds=finish)).isoformat(),
        round(wait, 1),
        round(finish, 1),
    )


@dataclass(frozen=True)
class CourseQueue:
    """A course's jobs in the queue now, and how long its recent jobs waited (for the class overview)."""

    queued: int  # the course's live submissions waiting
    queued_regrade: int  # the course's regrade copies and re-queued submissions waiting
    queued_everywhere: int  # every job waiting on the deployment (the queue is shared by all courses)
    running: int
    longest_wait_seconds: float | None  # how long the course's oldest waiting job has waited so far
    median_wait_seconds: float | None  # of the course's live jobs started in the last `window`
    started_recently: int


def course_queue(session: Session, course_id: int, window: dt.timedelta = dt.timedelta(hours=1)) -> CourseQueue:
    """The course's share of the queue now, and the median wait of its live jobs started within `window`."""
    now = utcnow()
    joined = select(Submission).join(Problem, Problem.id == Submission.problem_id).where(Problem.course_id == course_id)
    mine = joined.subquery()
    joined_queue = func.coalesce(mine.c.queued_at, mine.c.created_at)
    waiting = session.execute(
        select(mine.c.state, mine.c.priority, func.count(), func.min(joined_queue))
        .where(mine.c.state.in_([SubmissionState.QUEUED, SubmissionState.RUNNING]))
        .group_by(mine.c.state, mine.c.priority)
    ).all()
    queued = {Priority.LIVE: 0, Priority.REGRADE: 0}
    running, oldest = 0, None
    for state, priority, count, first in waiting:
        if state == SubmissionState.RUNNING:
            running += count
            continue
        queued[Priority(priority)] += count
        oldest = first if oldest is None or first < oldest else oldest
    recent = session.execute(
        select(mine.c.started_at, joined_queue).where(
            mine.c.started_at >= now - window, mine.c.priority == Priority.LIVE
        )
    ).all()
    waits = [(s - q).total_seconds() for s, q in recent if s is not None and q is not None]
    everywhere = session.scalar(select(func.count()).where(Submission.state == SubmissionState.QUEUED)) or 0
    return CourseQueue(
        queued=queued[Priority.LIVE],
        queued_regrade=queued[Priority.REGRADE],
        queued_everywhere=int(everywhere),
        running=running,
        longest_wait_seconds=(now - oldest).total_seconds() if oldest is not None else None,
        median_wait_seconds=statistics.median(waits) if waits else None,
        started_recently=len(waits),
    )
