"""What a grading job is asked to run, what comes back of each call, and what a submission may spend."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grader.values import Value

DEFAULT_CALL_BYTES = 256 * 1024 * 1024  # the harness's own ceiling on one call's frames


@dataclass(frozen=True)
class Call:
    """One driver call: a test (possibly under a mistake variant)."""

    test_id: str
    driver: str
    seconds: float
    memory_mb: int
    case: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    inputs: str | None = None  # path of an inputs file inside the job
    at: tuple[int, int] | None = None  # (offset, length) of this call's frame in that file, if it holds several
    variant: Mapping[str, str] | None = None
    quiet: bool = False  # a hidden test: its output goes nowhere, its inputs are sealed from the others
    max_bytes: int | None = None  # the most this call's frames may hold, checked in the job and on the host
    discard: bool = False  # a generator drawn only to see it succeed: its inputs are not sent back

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.test_id, self.variant["name"] if self.variant else None)

    @property
    def byte_cap(self) -> int:
        return self.max_bytes if self.max_bytes is not None else DEFAULT_CALL_BYTES

    def plan_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.test_id, "driver": self.driver, "seconds": self.seconds}
        for name in ("case", "seed", "inputs", "at", "variant", "max_bytes"):
            if getattr(self, name) is not None:
                entry[name] = getattr(self, name)
        if self.params:
            entry["params"] = dict(self.params)
        if self.quiet:
            entry["quiet"] = True
        if self.discard:
            entry["discard"] = True
        return entry


@dataclass
class CallResult:
    """What one call produced, as judged safe to read (values are decoded, not trusted)."""

    status: str  # a CallStatus, or signal:N / exit:N (see grader._vocab)
    value: Value = None
    inputs: Value = None
    message: str = ""
    traceback: str = ""
    seconds: float = 0.0  # measured by the harness around the call, never reported by the code it ran
    file: str = ""


@dataclass
class Budget:
    """What one submission may spend across all its jobs: wall-clock seconds and result-channel bytes.

    Shared by every run of the submission (the first run and the rerun of failing tests), so restarted
    jobs and reruns cannot multiply what one submission costs the service.
    """

    seconds: float | None = None
    channel_bytes: int | None = None
    started: float = field(default_factory=time.monotonic)
    used_bytes: int = 0

    @property
    def deadline(self) -> float | None:
        return None if self.seconds is None else self.started + self.seconds

    def seconds_left(self) -> float | None:
        """Seconds before the wall budget runs out (None: no budget)."""
        return None if self.seconds is None else self.started + self.seconds - time.monotonic()

    def bytes_left(self) -> int | None:
        """Channel bytes still allowed (None: no budget)."""
        return None if self.channel_bytes is None else self.channel_bytes - self.used_bytes

    def out_of_time(self) -> bool:
        left = self.seconds_left()
        return left is not None and left <= 0

    def out_of_bytes(self) -> bool:
        left = self.bytes_left()
        return left is not None and left <= 0

    def spent(self) -> bool:
        """Either budget is used up."""
        return self.out_of_time() or self.out_of_bytes()
