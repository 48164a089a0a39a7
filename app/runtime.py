"""What one running app holds: settings, database, caches, metrics, and the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Mode, Settings
from app.db import Database
from app.db.models import Submission, SubmissionState
from app.jobs import lease, standing
from app.jobs.dramatiq_queue import DramatiqDispatcher, make_broker
from app.jobs.grading import Grader, GradingConfig
from app.jobs.leader import LeaderLock
from app.jobs.periodic import Periodic
from app.jobs.pool import Dispatcher, LocalPool, acquire_sandboxes
from app.jobs.sweeper import sweep_once
from app.metrics import Metrics
from app.problems.bundles import BundleCache
from app.problems.checker import UploadChecker
from grader.grading import ReferenceCache


class NullDispatcher:
    """Used when this process grades nothing (no slots): jobs wait in the database for a worker."""

    def notify(self, job_id: int) -> None:
        return None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    metrics: Metrics = field(default_factory=Metrics)
    bundles: BundleCache = field(default_factory=BundleCache)
    references: ReferenceCache = field(default_factory=ReferenceCache)
    dispatcher: Dispatcher = field(default_factory=NullDispatcher)
    pool: LocalPool | None = None
    sweeper: Periodic | None = None

    def __post_init__(self) -> None:
        self.grader = Grader(
            self.db,
            GradingConfig(
                lease_seconds=self.settings.lease_seconds,
                max_attempts=self.settings.max_attempts,
                running_per_student=self.settings.running_per_student,
                queue_order=self.settings.queue_order,
            ),
            self.metrics,
            self.bundles,
            self.references,
        )
        self.metrics.watch_states(self.state_counts)
        self.leader = LeaderLock(self.db)
        self.checker = UploadChecker(self.db, self.bundles, self.settings.check_workers, self.settings.sandbox)

    def start_checks(self) -> None:
        """Upload checks: fail those a stopped process left behind, then keep this process's alive."""
        # Embedded, this process is the only one; distributed, other web processes may be checking.
        self.checker.start(only_process=self.settings.mode is Mode.EMBEDDED)

    def state_counts(self) -> dict[str, int]:
        with self.db.read() as session:
            rows = session.execute(select(Submission.state, func.count()).group_by(Submission.state))
            return {state.value: count for state, count in rows}

    def start_embedded(self) -> None:
        """Start the sandbox slots and the sweeper in this process, and pick up work left from before."""
        if self.settings.slots == 0:
            return
        sandboxes = acquire_sandboxes(self.settings.slots, self.settings.sandbox)
        self.pool = LocalPool(self.grader.grade_next, sandboxes)
        self.pool.start()  # each slot looks at the database once: jobs queued before a restart are picked up
        self.dispatcher = self.pool
        self.grader.wake = self.pool.notify  # a student's waiting job, once their running one ends
        self.sweeper = Periodic(self.sweep, self.settings.sweep_interval_seconds, "sweeper")
        self.sweeper.start()

    def start_distributed_web(self) -> None:
        """A web process of the distributed mode: send jobs to Redis, and sweep when this process leads."""
        assert self.settings.redis_url
        self.dispatcher = DramatiqDispatcher(make_broker(self.settings.redis_url))
        self.sweeper = Periodic(self.sweep, self.settings.sweep_interval_seconds, "sweeper")
        self.sweeper.start()

    def queue_place(self, session: Session, submission: Submission) -> standing.QueuePlace | None:
        """Where the submission stands in this deployment's queue while it waits (None once it does not)."""
        if submission.state is not SubmissionState.QUEUED:
            return None
        slots = self.pool.slots if self.pool is not None else None
        return standing.queue_place(session, submission.id, self.settings.queue_order, slots)

    def queue_load(self, session: Session) -> standing.QueueLoad:
        return standing.queue_load(session, self.pool.slots if self.pool is not None else None)

    def sweep(self) -> lease.SweepResult:
        return sweep_once(self.db, self.leader, self.settings, self.dispatcher, self.metrics)

    def close(self) -> None:
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.pool is not None:
            self.pool.stop()
            for sandbox in self.pool.sandboxes:
                sandbox.close()
        self.checker.close()
        self.leader.release()
        self.db.dispose()
