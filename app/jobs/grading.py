"""`grade(submission_id)`: the one code path from a queued row to a stored result."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from app.config import QueueOrder
from app.db import Database, utcnow
from app.db.models import SubmissionState
from app.jobs import lease
from app.metrics import Metrics
from app.problems.bundles import BundleCache
from app.submissions.service import late_penalty, stored_files
from grader.bundle import Bundle
from grader.grading import GradeReport, ReferenceCache, SubmissionError, grade_files
from grader.sandbox import Sandbox

log = structlog.get_logger("app.grading")


@dataclass(frozen=True)
class GradingConfig:
    lease_seconds: float = 60.0
    max_attempts: int = 3
    running_per_student: int = 0  # a student's jobs running at once; 0: no limit
    queue_order: QueueOrder = QueueOrder.FAIR


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (pids repeat after a restart)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Grader:
    """Claims, grades and stores one submission at a time per sandbox slot."""

    def __init__(
        self,
        db: Database,
        config: GradingConfig,
        metrics: Metrics,
        bundles: BundleCache | None = None,
        references: ReferenceCache | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.metrics = metrics
        self.bundles = bundles or BundleCache()
        self.references = references or ReferenceCache()
        self.owner = worker_id()
        # Sends a job to be graded: set by whoever runs this grader, so a student's waiting job is woken.
        self.wake: Callable[[int], None] | None = None

    def grade(self, submission_id: int, sandbox: Sandbox) -> SubmissionState | None:
        """Grade this submission if it can be claimed; returns the state it was left in (None: not ours).

        A job of a student who already has `running_per_student` jobs running stays queued (None) and
        is sent again when one of theirs ends."""

        def take(session: Session) -> lease.Claimed | None:
            if self._must_wait(session, submission_id):  # decided under the student's row lock
                raise _StudentBusy
            return lease.claim(session, submission_id, self.owner, self.config.lease_seconds)

        try:
            claim, state = self._claim_and_grade(take, sandbox)
        except _StudentBusy:
            log.info("claim_deferred_student_busy", submission_id=submission_id)
            return None
        if claim is None:
            log.debug("claim_skipped", submission_id=submission_id)
        self._wake_next(submission_id)
        return state

    def grade_next(self, sandbox: Sandbox) -> bool:
        """Claim and grade the next job in the queue's order, whichever it is; False when none is claimable.

        A dispatch message only says that there is work: the database decides which job is next."""

        def take(session: Session) -> lease.Claimed | None:
            config = self.config
            return lease.claim_next(
                session, self.owner, config.lease_seconds, config.queue_order, config.running_per_student
            )

        claim, _state = self._claim_and_grade(take, sandbox)
        if claim is None:
            return False
        self._wake_next(claim.submission_id)
        return True

    def _must_wait(self, session: Session, submission_id: int) -> bool:
        limit = self.config.running_per_student
        return limit > 0 and lease.student_busy(session, submission_id, limit) is not None

    def _wake_next(self, submission_id: int) -> None:
        """Send the student's waiting jobs again now that one of theirs has stopped running."""
        if self.config.running_per_student <= 0 or self.wake is None:
            return
        try:
            with self.db.read() as session:
                waiting = lease.next_waiting(session, submission_id, self.config.running_per_student)
        except Exception as exc:  # the sweeper re-sends queued rows in any case
            log.warning("wake_failed", error=str(exc)[:300])
            return
        for job_id in waiting:
            self.wake(job_id)

    def _claim_and_grade(
        self, take: Callable[[Session], lease.Claimed | None], sandbox: Sandbox
    ) -> tuple[lease.Claimed | None, SubmissionState | None]:
        """Claim a job with `take`, grade it and store the result: (the claim or None, the state it was left in)."""
        with self.db.session() as session:
            claim = take(session)
            if claim is None:
                return None, None
            self.metrics.queue_seconds.observe(max(0.0, (utcnow() - claim.created_at).total_seconds()))
            waited = max(0.0, (utcnow() - claim.queued_at).total_seconds())
            self.metrics.queue_wait.labels(claim.priority.label).observe(waited)
            files = stored_files(session, claim.files_from)
            penalty = late_penalty(session, claim.problem_id) if claim.late else 0.0
            bundle = self.bundles.get(session, claim.version_id)
            seed_key = self.bundles.seed_key(session, claim.problem_id)
        with structlog.contextvars.bound_contextvars(submission_id=claim.submission_id):
            return claim, self._grade_claimed(claim, bundle, files, penalty, seed_key, sandbox)

    def _grade_claimed(
        self,
        claim: lease.Claimed,
        bundle: Bundle,
        files: dict[str, bytes],
        penalty: float,
        seed_key: bytes,
        sandbox: Sandbox,
    ) -> SubmissionState | None:
        log.info("grading_started", attempt=claim.attempt, problem=bundle.slug)
        started = time.monotonic()
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(claim, stop), daemon=True)
        beat.start()
        try:
            report = self._run(bundle, files, sandbox, seed_key)
        except Exception as exc:  # infrastructure: the sandbox, the reference, the machine
            stop.set()
            return self._give_back(claim, exc)
        finally:
            stop.set()
            beat.join()
        with self.db.session() as session:
            stored = lease.finish(session, claim, report, late_penalty=penalty)
        elapsed = time.monotonic() - started
        if not stored:
            self.metrics.graded.labels("lease_lost").inc()
            log.warning("result_discarded_lease_lost", attempt=claim.attempt)
            return None
        self.metrics.graded.labels("graded").inc()
        self.metrics.grading_seconds.observe(elapsed)
        for reason, count in report.kills.items():
            self.metrics.sandbox_kills.labels(reason).inc(count)
        log.info("graded", score=report.score, max_score=report.max_score, seconds=round(elapsed, 3))
        return SubmissionState.GRADED

    def _run(self, bundle: Bundle, files: dict[str, bytes], sandbox: Sandbox, seed_key: bytes) -> GradeReport:
        try:
            return grade_files(bundle, files, sandbox, self.references, seed_key=seed_key)
        except SubmissionError as exc:
            # Checked at upload; only a new problem version can make stored files ungradable.
            return GradeReport(
                problem=bundle.slug,
                version=bundle.spec.version,
                score=0.0,
                max_score=float(sum(t.points for t in bundle.spec.tests)),
                status="graded",
                tests=[],
                stderr="This submission does not fit the problem's current version:\n" + "\n".join(exc.errors),
                sandbox=sandbox.name,
            )

    def _give_back(self, claim: lease.Claim, exc: Exception) -> SubmissionState | None:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        log.error("grading_infrastructure_failure", attempt=claim.attempt, error=reason)
        with self.db.session() as session:
            state = lease.give_back(session, claim, reason, self.config.max_attempts)
        self.metrics.graded.labels("infrastructure_failure").inc()
        if state is SubmissionState.FAILED:
            self.metrics.graded.labels("failed").inc()
        return state

    def _heartbeat(self, claim: lease.Claim, stop: threading.Event) -> None:
        interval = self.config.lease_seconds / 3
        while not stop.wait(interval):
            try:
                with self.db.session() as session:
                    if not lease.heartbeat(session, claim, self.config.lease_seconds):
                        log.warning("lease_lost", attempt=claim.attempt)
                        return
            except Exception as exc:  # a database blip: the next beat may succeed before the lease runs out
                log.warning("heartbeat_failed", error=str(exc)[:300])


class _StudentBusy(Exception):
    """The submission's author already has as many jobs running as they may: this one waits."""
