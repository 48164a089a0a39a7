"""Failed-login throttling and bounded password hashing, so guessing cannot exhaust the service.

Both live in this process's memory: with several web processes (the distributed mode) each one
keeps its own counters, so a guesser spread over N processes gets N times the budget. The
hashing bound is per process by nature (it protects this process's event loop and threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from app.errors import TooManyRequests, Unauthorized

T = TypeVar("T")
LOGIN_NICE = 10  # how much nicer than the process password-check threads run
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
    """Runs each password check on a small pool of its own, behind the throttle.

    At most `concurrency` checks run at once, on threads of their own at a lower CPU priority
    (Argon2id spreads one check over several threads, so it would otherwise take every core from
    the requests); waiting logins hold no thread, and past `queue_max` waiting the answer is 429."""

    def __init__(self, throttle: LoginThrottle, concurrency: int, queue_max: int) -> None:
        self.throttle = throttle
        self.concurrency = concurrency
        self.queue_max = queue_max
        self.in_flight = 0  # running and waiting checks; only touched on the event loop
        self._pool: ThreadPoolExecutor | None = None

    def _get_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, "login-check", initializer=_lower_priority)
        return self._pool

    async def attempt(self, username: str, address: str, check: Callable[[], T]) -> T:
        """`check()` (which raises `Unauthorized` on a wrong password) under the throttle and the hashing bound."""
        self.throttle.check(username, address)
        if self.in_flight >= self.concurrency + self.queue_max:
            raise TooManyRequests(
                "the service is checking many logins at once: try again in a few seconds",
                headers={"Retry-After": "2"},
            )

        def guarded() -> T:
            # Checked again once its turn comes: failures of the attempts queued before it count.
            self.throttle.check(username, address)
            return check()

        self.in_flight += 1
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._get_pool(), guarded)
        except Unauthorized:
            self.throttle.failed(username, address)
            raise
        finally:
            self.in_flight -= 1
        self.throttle.succeeded(username)
        return result

    def close(self) -> None:
        """Let the pool's threads end."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)


def _lower_priority() -> None:
    # Linux sets a nice value per thread; Argon2's own threads inherit it. Raising it needs no privilege.
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + LOGIN_NICE))
