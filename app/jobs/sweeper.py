"""One pass of the sweeper, for the embedded pool, the distributed web processes and the workers alike."""

from __future__ import annotations

import structlog

from app.config import Settings
from app.db import Database
from app.jobs import lease
from app.jobs.leader import LeaderLock
from app.jobs.pool import Dispatcher, notify_after_commit
from app.metrics import Metrics

log = structlog.get_logger("app.sweeper")


def sweep_once(
    db: Database, leader: LeaderLock, settings: Settings, dispatcher: Dispatcher, metrics: Metrics
) -> lease.SweepResult:
    """Expired leases back to the queue, stale queued jobs sent again, hopeless ones failed (leader only)."""
    if not leader.held():
        return lease.SweepResult([], [], [])
    with db.session() as session:
        result = lease.sweep(session, requeue_after=settings.requeue_after_seconds, max_attempts=settings.max_attempts)
        for job_id in result.requeued + result.renotify:
            notify_after_commit(session, dispatcher, job_id)
    if result.failed:
        metrics.graded.labels("failed").inc(len(result.failed))
    if result.requeued or result.renotify or result.failed:
        log.info("swept", requeued=len(result.requeued), resent=len(result.renotify), failed=len(result.failed))
    return result
