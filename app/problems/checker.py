"""Upload checks run on threads of their own, each with its own sandbox: a slow check holds up no request,
no submission's grading and (up to `check_workers` at a time) no other instructor's check."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import structlog

from app.db import Database, utcnow
from app.jobs.periodic import Periodic
from app.jobs.pool import acquire_sandboxes
from app.problems import checks
from app.problems.bundles import BundleCache
from grader.bundle import load_bundle_zip
from grader.grading import CheckReport, check_problem
from grader.sandbox import Sandbox, SandboxUnavailable

log = structlog.get_logger("app.checks")

HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0  # a check whose process has not beaten for this long is failed by any other process


class UploadChecker:
    """Runs queued upload checks in the background and keeps their heartbeats."""

    def __init__(self, db: Database, bundles: BundleCache, workers: int, backend: str) -> None:
        self.db = db
        self.bundles = bundles
        self.backend = backend
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="upload-check")
        self._local = threading.local()
        self._sandboxes: list[Sandbox] = []
        self._active: set[int] = set()
        self._lock = threading.Lock()
        self._beats = Periodic(self._beat, HEARTBEAT_SECONDS, "upload-check-heartbeat")
        self.acquire: Callable[[], Sandbox] = lambda: acquire_sandboxes(1, self.backend)[0]

    def start(self, *, only_process: bool) -> int:
        """Fail checks a stopped process left unfinished (all of them when this is the only process)."""
        with self.db.session() as session:
            failed = checks.fail_abandoned(session, None if only_process else _stale_before())
        if failed:
            log.warning("upload_checks_abandoned", count=failed)
        self._beats.start()
        return failed

    def submit(self, check_id: int) -> None:
        """Check in the background; call after the check's row is committed."""
        self._executor.submit(self._run, check_id)

    def _run(self, check_id: int) -> None:
        with self._lock:
            self._active.add(check_id)
        try:
            self._check(check_id)
        except Exception as exc:  # the machine, not the bundle: say so on the check rather than lose it
            log.exception("upload_check_crashed", check_id=check_id)
            with self.db.session() as session:
                checks.fail_check(session, check_id, f"the check could not run on this server ({exc}); try again")
        finally:
            with self._lock:
                self._active.discard(check_id)

    def _check(self, check_id: int) -> None:
        with self.db.session() as session:
            check = checks.claim_check(session, check_id)
            if check is None or check.bundle_zip is None:
                return
            data, key = check.bundle_zip, check.seed_secret
        bundle = load_bundle_zip(data, source=f"upload check {check_id}")
        try:
            sandbox = self._sandbox()
        except SandboxUnavailable as exc:
            with self.db.session() as session:
                checks.fail_check(session, check_id, f"no sandbox is available to check the bundle ({exc}); try later")
            return

        def progress(report: CheckReport, done: int, total: int) -> None:
            with self.db.session() as session:
                checks.record_progress(session, check_id, report.to_dict(), done / total)

        report = check_problem(bundle, sandbox, seed_key=key, progress=progress).to_dict()
        with self.db.session() as session:
            version = checks.finish_check(session, check_id, report)
            version_id = version.id if version is not None else None
        if version_id is not None:
            self.bundles.put(version_id, bundle)

    def _sandbox(self) -> Sandbox:
        sandbox: Sandbox | None = getattr(self._local, "sandbox", None)
        if sandbox is None:
            sandbox = self.acquire()
            self._local.sandbox = sandbox
            with self._lock:
                self._sandboxes.append(sandbox)
        return sandbox

    def _beat(self) -> None:
        with self._lock:
            active = sorted(self._active)
        with self.db.read() as session:  # most of the time there is nothing to write: take no write lock
            if not active and not checks.any_unfinished(session):
                return
        with self.db.session() as session:
            checks.beat(session, active)
            checks.fail_abandoned(session, _stale_before())

    def close(self) -> None:
        """Finish the checks that are running (queued ones are failed by the next start), then stop."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._beats.stop()
        with self._lock:
            sandboxes, self._sandboxes = self._sandboxes, []
        for sandbox in sandboxes:
            sandbox.close()


def _stale_before() -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=STALE_SECONDS)
