"""Failed-login throttling and bounded password hashing, so guessing cannot exhaust the service.

Both live in this process's memory: with several web processes (the distributed mode) each one
keeps its own counters, so a guesser spread over N processes gets N times the budget. The
hashing bound is per process by nature (it protects this process's event loop and threads).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread

from app.errors import TooManyRequests, Unauthorized

T = TypeVar("T")
MAX_KEYS = 100_000  # records kept at most; the oldest are forgotten first, so memory stays bounded


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0
    blocked_until: float = 0.0


@dataclass(frozen=True)
class ThrottleRules:
    """How many failures are free, and how the wait grows after them."""

    free_per_user: int = 5
    free_per_address: int = 30
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    forget_seconds: float = 900.0


class LoginThrottle:
    """Failed logins per username and per client address; past the free ones each failure doubles the wait."""

    def __init__(self, rules: ThrottleRules, clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = rules
        self.clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, username: str, address: str) -> None:
        """Refuse with 429 and `Retry-After` while the username or the address must wait."""
        now = self.clock()
        with self._lock:
            waits = [r.blocked_until - now for r in (self._get(_user(username), now), self._get(_addr(address), now))]
        wait = max(waits)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"too many failed logins for this username or from this address: wait {seconds} seconds "
                "before trying again (each further wrong password doubles the wait)",
                headers={"Retry-After": str(seconds)},
            )

    def failed(self, username: str, address: str) -> None:
        """Count a wrong password against both the username and the address."""
        now = self.clock()
        with self._lock:
            self._fail(_user(username), now, self.rules.free_per_user)
            self._fail(_addr(address), now, self.rules.free_per_address)

    def succeeded(self, username: str) -> None:
        """A right password clears its username's count (not the address's: one account must not reset it)."""
        with self._lock:
            self._records.pop(_user(username), None)

    def _get(self, key: str, now: float) -> _Record:
        record = self._records.get(key)
        if record is None or now - record.last > self.rules.forget_seconds:
            return _Record()
        return record

    def _fail(self, key: str, now: float, free: int) -> None:
        record = self._get(key, now)
        record.failures += 1
        record.last = now
        over = record.failures - free
        if over > 0:
            wait = min(self.rules.backoff_max_seconds, self.rules.backoff_seconds * 2 ** min(over - 1, 40))
            record.blocked_until = now + wait
        self._records[key] = record
        self._records.move_to_end(key)
        while len(self._records) > MAX_KEYS:
            self._records.popitem(last=False)


def _user(username: str) -> str:
    return "u:" + username[:64]


def _addr(address: str) -> str:
    return "a:" + address


class LoginGuard:
    """Runs each password check in a worker thread, at most `concurrency` at a time, behind the throttle."""

    def __init__(self, throttle: LoginThrottle, concurrency: int, queue_max: int) -> None:
        self.throttle = throttle
        self.concurrency = concurrency
        self.queue_max = queue_max
        self._limiter: anyio.CapacityLimiter | None = None

    def _get_limiter(self) -> anyio.CapacityLimiter:
        # Made on first use, inside the event loop that serves the requests.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        return self._limiter

    async def attempt(self, username: str, address: str, check: Callable[[], T]) -> T:
        """`check()` (which raises `Unauthorized` on a wrong password) under the throttle and the hashing bound."""
        self.throttle.check(username, address)
        limiter = self._get_limiter()
        if limiter.statistics().tasks_waiting >= self.queue_max:
            raise TooManyRequests(
                "the service is checking many logins at once: try again in a few seconds",
                headers={"Retry-After": "2"},
            )

        def guarded() -> T:
            # Checked again once its turn comes: failures of the attempts queued before it count.
            self.throttle.check(username, address)
            return check()

        try:
            # Waiting for the limiter is asynchronous: queued logins hold no thread of the shared pool.
            result = await anyio.to_thread.run_sync(guarded, limiter=limiter)
        except Unauthorized:
            self.throttle.failed(username, address)
            raise
        self.throttle.succeeded(username)
        return result
