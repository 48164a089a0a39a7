"""The embedded dispatcher: a queue and one thread per sandbox slot, inside the web process."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy.orm import Session

from app.db import after_commit
from grader.grading import sandbox_preload
from grader.sandbox import Sandbox
from grader.sandbox import acquire_sandboxes as acquire_slots

log = logging.getLogger("app.jobs")

Handler = Callable[[int, Sandbox], object]


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


_STOP = -1


class LocalPool:
    """Runs `handler(job_id, sandbox)` on one thread per sandbox; `notify` never blocks the caller."""

    def __init__(self, handler: Handler, sandboxes: Iterable[Sandbox]) -> None:
        self.handler = handler
        self.sandboxes = list(sandboxes)
        self._queue: queue.Queue[int] = queue.Queue()
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._busy = 0

    @property
    def slots(self) -> int:
        return len(self.sandboxes)

    @property
    def busy(self) -> int:
        return self._busy

    def queued(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        for i, sandbox in enumerate(self.sandboxes):
            thread = threading.Thread(target=self._work, args=(sandbox,), name=f"grader-slot-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self, job_id: int) -> None:
        with self._lock:
            if job_id in self._pending:
                return  # already waiting for a slot
            self._pending.add(job_id)
        self._queue.put(job_id)

    def stop(self, timeout: float = 30.0) -> None:
        """Let running jobs finish (up to `timeout`); queued ones stay queued in the database."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _work(self, sandbox: Sandbox) -> None:
        while True:
            job_id = self._queue.get()
            if job_id == _STOP:
                return
            with self._lock:
                self._pending.discard(job_id)
                self._busy += 1
            try:
                self.handler(job_id, sandbox)
            except Exception:  # the handler records failures itself; this only keeps the slot alive
                log.exception("grading job %s raised", job_id)
            finally:
                with self._lock:
                    self._busy -= 1
