"""The distributed dispatcher: job ids as Dramatiq messages on Redis, consumed by worker processes.

A message carries a submission id but means "there is work": the slot that takes it claims the
next job in the queue's order (`lease.claim_next`), so the database, not the order of messages,
decides who is graded next; a message that finds nothing claimable is simply acknowledged. A
message is acknowledged after the handler returns, that is after the result (or the give-back)
is stored; duplicates are harmless because the claim is fenced.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from grader.sandbox import Sandbox

log = logging.getLogger("app.jobs")

QUEUE = "grading"
ACTOR = "grade_submission"
HEARTBEAT_MS = 15_000  # a worker silent this long is dead: its unacknowledged messages go back to the queue


def make_broker(redis_url: str) -> RedisBroker:
    """A Redis broker without retries: only the sweeper re-sends (the row knows what is left to do)."""
    broker = RedisBroker(url=redis_url, heartbeat_timeout=HEARTBEAT_MS, namespace="gradelab")  # type: ignore[no-untyped-call]
    for middleware in list(broker.middleware):
        if isinstance(middleware, AgeLimit | TimeLimit | Callbacks | Pipelines | Retries):
            broker.middleware.remove(middleware)
    broker.add_middleware(Retries(max_retries=0))
    if not any(isinstance(m, ShutdownNotifications) for m in broker.middleware):
        broker.add_middleware(ShutdownNotifications())
    return broker


def _noop(submission_id: int) -> None:  # the sending side only needs the actor's name and queue
    raise RuntimeError("web processes do not grade")


class DramatiqDispatcher:
    """`notify` sends the id to the grading queue; a failure to reach Redis is logged, the sweeper resends."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker
        self.actor: Any = dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, broker=broker, max_retries=0)(_noop)

    def notify(self, job_id: int) -> None:
        try:
            self.actor.send(job_id)
        except Exception as exc:  # Redis down: the row stays queued and the sweeper sends it again
            log.warning("could not send job %s to the queue (%s); the sweeper will resend it", job_id, exc)

    def reachable(self) -> bool:
        try:
            return bool(self.broker.client.ping())
        except Exception:
            return False


class SlotWorker:
    """A Dramatiq worker with one thread per sandbox slot; each thread keeps its own slot."""

    def __init__(self, broker: RedisBroker, grade_next: Callable[[Sandbox], object], sandboxes: Sequence[Sandbox]):
        self.broker = broker
        self.grade_next = grade_next
        self._free: queue.Queue[Sandbox] = queue.Queue()
        for sandbox in sandboxes:
            self._free.put(sandbox)
        self._local = threading.local()
        self.slots = len(sandboxes)
        self.actor: Any = dramatiq.actor(actor_name=ACTOR, queue_name=QUEUE, broker=broker, max_retries=0)(self._run)
        self.worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=self.slots)
        self.worker.queue_prefetch = self.slots  # no message waits in a busy worker while another is idle

    def _run(self, submission_id: int) -> None:
        """One message, one claim of the next job in order (the message's id is only a hint)."""
        sandbox = getattr(self._local, "sandbox", None)
        if sandbox is None:
            sandbox = self._local.sandbox = self._free.get_nowait()
        self.grade_next(sandbox)

    def notify(self, job_id: int) -> None:
        """Send a job (the sweeper's re-sends from a worker process)."""
        try:
            self.actor.send(job_id)
        except Exception as exc:
            log.warning("could not send job %s to the queue (%s); the sweeper will resend it", job_id, exc)

    def start(self) -> None:
        self.worker.start()

    def stop(self, timeout_seconds: float) -> None:
        """Finish the running jobs (up to the timeout); prefetched messages go back to the queue."""
        self.worker.stop(timeout=int(timeout_seconds * 1000))
