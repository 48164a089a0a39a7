"""Per-user and per-address limits on long-lived requests (live status streams), kept in this process."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from fastapi import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.accounts.throttle import LoginGuard
from app.errors import TooManyRequests

STREAM_RETRY_SECONDS = 10


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, run uvicorn with `--proxy-headers`)."""
    return request.client.host if request.client else "unknown"


def login_guard(request: Request) -> LoginGuard:
    """The app's login throttle and hashing bound."""
    guard: LoginGuard = request.app.state.login_guard
    return guard


class StreamSlots:
    """Counts the open streams of each user and each address; refuses one more past either limit."""

    def __init__(self, per_user: int, per_address: int) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, user_id: int, address: str) -> Callable[[], None]:
        """Take a slot for a new stream; returns the function that gives it back (idempotent)."""
        keys = (f"u:{user_id}", f"a:{address}")
        with self._lock:
            if self._open[keys[0]] >= self.per_user:
                raise _too_many(f"you already follow {self.per_user} submissions live, the most one account may")
            if self._open[keys[1]] >= self.per_address:
                raise _too_many(f"{self.per_address} live streams are already open from your address, the most allowed")
            for key in keys:
                self._open[key] += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                for key in keys:
                    self._open[key] -= 1
                    if self._open[key] <= 0:
                        del self._open[key]

        return release

    def open_count(self, user_id: int) -> int:
        """How many streams the user holds open now."""
        with self._lock:
            return self._open[f"u:{user_id}"]


def _too_many(what: str) -> TooManyRequests:
    return TooManyRequests(
        f"{what}: close a page or stream that follows a submission, or poll GET /api/v1/submissions/{{id}} instead",
        headers={"Retry-After": str(STREAM_RETRY_SECONDS)},
    )


def stream_slots(request: Request) -> StreamSlots:
    """The app's stream limits."""
    slots: StreamSlots = request.app.state.stream_slots
    return slots


class LimitedStream(StreamingResponse):
    """A streaming response that gives its slot back however it ends (finished, cancelled or disconnected)."""

    def __init__(self, *args: object, release: Callable[[], None], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
