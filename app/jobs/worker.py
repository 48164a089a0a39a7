"""A grading worker of the distributed mode: N sandbox slots consuming Dramatiq messages from Redis.

Run as `python -m app worker [--slots N]`. Each message says there is work (its submission id is
only a hint): the slot claims the next row in the queue's order with the fenced lease, heartbeats
while grading, stores the result, and only then is the message acknowledged. SIGTERM drains:
running jobs finish, prefetched messages return to the queue.
The sweeper runs here too, in whichever process holds the PostgreSQL leader lock.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog

from app.config import Mode, Settings
from app.db import Database
from app.jobs.dramatiq_queue import SlotWorker, make_broker
from app.jobs.grading import Grader, GradingConfig
from app.jobs.leader import LeaderLock
from app.jobs.periodic import Periodic
from app.jobs.pool import acquire_sandboxes
from app.jobs.sweeper import sweep_once
from app.jobs.worker_metrics import DEFAULT_HOST, MetricsListener, MetricsRefused, serve_metrics
from app.metrics import Metrics

log = structlog.get_logger("app.jobs.worker")


def run_worker(
    settings: Settings,
    *,
    slots: int | None = None,
    drain_seconds: float = 600.0,
    stop: threading.Event | None = None,
    metrics_port: int | None = None,
    metrics_host: str = DEFAULT_HOST,
) -> int:
    """Grade until SIGTERM/SIGINT (or `stop` is set); returns the exit code."""
    if settings.mode is not Mode.DISTRIBUTED or not settings.redis_url:
        log.error(
            "worker_needs_distributed_mode",
            hint="set GRADELAB_MODE=distributed, GRADELAB_DATABASE_URL (PostgreSQL) and GRADELAB_REDIS_URL",
        )
        return 2
    stop = stop or threading.Event()
    db = Database(settings.database_url)
    metrics = Metrics()
    config = GradingConfig(
        lease_seconds=settings.lease_seconds,
        max_attempts=settings.max_attempts,
        running_per_student=settings.running_per_student,
        queue_order=settings.queue_order,
    )
    grader = Grader(db, config, metrics)
    listener: MetricsListener | None = None
    if metrics_port is not None:  # grading latency and sandbox kills are counted where the grading happens
        try:
            listener = serve_metrics(metrics.registry, metrics_port, metrics_host, settings.metrics_token, db)
        except (MetricsRefused, OSError) as exc:
            log.error("worker_metrics_refused", error=str(exc))
            db.dispose()
            return 2
    sandboxes = acquire_sandboxes(slots if slots is not None else settings.slots, settings.sandbox)
    worker = SlotWorker(make_broker(settings.redis_url), grader.grade_next, sandboxes)
    grader.wake = worker.notify  # a student's waiting job, once their running one ends
    leader = LeaderLock(db)

    def sweep() -> None:
        sweep_once(db, leader, settings, worker, metrics)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    sweeper = Periodic(sweep, settings.sweep_interval_seconds, "sweeper")
    worker.start()
    sweeper.start()
    log.info("worker_started", slots=worker.slots, owner=grader.owner)
    try:
        stop.wait()
    finally:
        sweeper.stop()
        worker.stop(drain_seconds)
        leader.release()
        for sandbox in sandboxes:
            sandbox.close()
        if listener is not None:
            listener.close()
        db.dispose()
        log.info("worker_stopped")
    return 0
