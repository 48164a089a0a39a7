"""Similarity reports run on a background thread of a web process: one at a time, never in a request.

Every web process runs the reports its own requests asked for. One process (the holder of its own
PostgreSQL advisory lock; on SQLite the only one) also queues the after-deadline reports and runs reports
left queued or half-run by a process that stopped. Claims are fenced, so a report never runs twice at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import structlog

from app.db import Database, utcnow
from app.integrity import reports
from app.jobs.leader import LeaderLock
from app.jobs.periodic import Periodic
from app.problems.bundles import BundleCache

log = structlog.get_logger("app.similarity")

SIMILARITY_LOCK = 0x67726164654C6153  # not the sweeper's: a worker process may hold that one


class SimilarityRunner:
    """Runs reports on one thread; `tick` (every `interval` seconds once started) finds the due ones."""

    def __init__(self, db: Database, bundles: BundleCache, interval: float) -> None:
        self.db = db
        self.bundles = bundles
        self.leader = LeaderLock(db, SIMILARITY_LOCK)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="similarity")
        self._active: set[int] = set()
        self._lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._ticks = Periodic(self.tick, interval, "similarity")

    def start(self) -> None:
        self._ticks.start()

    def submit(self, report_id: int) -> None:
        """Run the report in the background; call once its row is committed."""
        with self._lock:
            if report_id in self._active:
                return
            self._active.add(report_id)
        self._executor.submit(self._run, report_id)

    def _run(self, report_id: int) -> None:
        try:
            reports.run_report(self.db, self.bundles, report_id)
        except Exception:  # the database went away: the lease brings the report back later
            log.exception("similarity_report_not_run", report_id=report_id)
        finally:
            with self._lock:
                self._active.discard(report_id)

    def tick(self) -> list[int]:
        """The leader queues after-deadline reports and starts every runnable one; the ids started."""
        with self._tick_lock:  # one tick at a time: two would both queue the same after-deadline report
            return self._tick()

    def _tick(self) -> list[int]:
        if not self.leader.held():
            return []
        with self.db.read() as session:
            if not reports.anything_due(session, utcnow()):
                return []
        with self.db.session() as session:
            made = reports.due_after_deadline(session, utcnow())
            due = reports.runnable(session, utcnow())
        if made:
            log.info("similarity_after_deadline", reports=made)
        for report_id in due:
            self.submit(report_id)
        return due

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no report is running here (for the command line and tests)."""
        done = threading.Event()
        self._executor.submit(done.set)
        return done.wait(timeout)

    def close(self) -> None:
        self._ticks.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.leader.release()
