"""A function run every few seconds on a background thread, until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("app.jobs")


class Periodic:
    """Calls `fn` now and then every `interval` seconds; an exception is logged, never fatal."""

    def __init__(self, fn: Callable[[], Any], interval: float, name: str) -> None:
        self.fn = fn
        self.interval = interval
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.fn()
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self.name, self.interval)
            self._stop.wait(self.interval)
