"""The embedded dispatcher: one thread per sandbox slot, inside the web process, claiming from the database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy.orm import Session

from app.db import after_commit
from grader.grading import sandbox_preload
from grader.sandbox import Sandbox
from grader.sandbox import acquire_sandboxes as acquire_slots

log = logging.getLogger("app.jobs")


class Dispatcher(Protocol):
    """Where the service sends a job id once the job's row is committed."""

    def notify(self, job_id: int) -> None:
        """Ask for the job to be run (at least once; the job's claim drops duplicates)."""


def notify_after_commit(session: Session, dispatcher: Dispatcher, job_id: int) -> None:
    """Send `job_id` to `dispatcher` once the write session's transaction has committed, so the job's row is
    visible to whoever picks it up; nothing is sent if the transaction rolls back."""
    after_commit(session, lambda: dispatcher.notify(job_id))


def acquire_sandboxes(count: int, backend: str = "auto") -> list[Sandbox]:
    """`count` distinct self-tested slots for grading, the first free ones on this host."""
    return acquire_slots(count, backend, preload=sandbox_preload())


class LocalPool:
    """One thread per sandbox; each claims the next job in the database's order until none is claimable,
    then sleeps until `notify` says there is work. `notify` never blocks the caller."""

    def __init__(self, grade_next: Callable[[Sandbox], bool], sandboxes: Iterable[Sandbox]) -> None:
        self.grade_next = grade_next
        self.sandboxes = list(sandboxes)
        self._work_signal = threading.Condition()
        self._notified = 0  # how many times work was announced; a thread that saw no work waits for a change
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._busy = 0

    @property
    def slots(self) -> int:
        return len(self.sandboxes)

    @property
    def busy(self) -> int:
        return self._busy

    def start(self) -> None:
        self._stopping = False
        for i, sandbox in enumerate(self.sandboxes):
            thread = threading.Thread(target=self._work, args=(sandbox,), name=f"grader-slot-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self, job_id: int) -> None:
        """There is work (the id is only a hint: the slot claims whichever job is next)."""
        with self._work_signal:
            self._notified += 1
            self._work_signal.notify()

    def stop(self, timeout: float = 30.0) -> None:
        """Let running jobs finish (up to `timeout`); queued ones stay queued in the database."""
        with self._work_signal:
            self._stopping = True
            self._work_signal.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _work(self, sandbox: Sandbox) -> None:
        seen = -1  # look once at start-up: jobs queued before a restart are waiting
        while True:
            with self._work_signal:
                while not self._stopping and self._notified == seen:
                    self._work_signal.wait()
                if self._stopping:
                    return
                seen = self._notified
            while not self._stopping and self._grade_one(sandbox):
                pass

    def _grade_one(self, sandbox: Sandbox) -> bool:
        with self._work_signal:
            self._busy += 1
        try:
            return self.grade_next(sandbox)
        except Exception:  # the grader records failures itself; this only keeps the slot alive
            log.exception("grading raised")
            return False
        finally:
            with self._work_signal:
                self._busy -= 1
