"""The sandbox boundary: what a job is, what limits it runs under, what comes back."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox job."""

    wall_seconds: float = 30.0
    cpu_seconds: float = 30.0
    memory_bytes: int = 1024 * 1024 * 1024
    processes: int = 32
    open_files: int = 64
    file_size_bytes: int = 16 * 1024 * 1024
    tmpfs_bytes: int = 64 * 1024 * 1024
    tmpfs_inodes: int = 4096
    stdout_bytes: int = 64 * 1024
    stderr_bytes: int = 64 * 1024
    channel_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Job:
    """A program to run: files copied into the job's tmpfs, and the script to start.

    `files` maps a relative path under the work dir to its bytes. `entry` is the
    relative path of the Python script to run with the sandbox's interpreter. The
    script writes its results to file descriptor 3 (the result channel).
    """

    files: Mapping[str, bytes]
    entry: str
    args: tuple[str, ...] = ()
    fresh: bool = False  # needs a newly started interpreter (a pre-forking backend then starts one)
    # The entry runs as the job's init (pid 1 of its namespace) instead of as its only child: one process
    # fewer. Such an entry must reap its own children, and only signals it handles reach it from the job.
    init: bool = False


class KillReason(enum.StrEnum):
    """Why the supervisor (not the job itself) ended a job."""

    WALL_TIME = "wall_time"
    DEADLINE = "deadline"  # a monitor's deadline passed (e.g. one test's time limit)
    STDOUT_OVERFLOW = "stdout_overflow"
    STDERR_OVERFLOW = "stderr_overflow"
    CHANNEL_OVERFLOW = "channel_overflow"
    MONITOR = "monitor"  # the monitor asked for the job to stop (e.g. malformed channel)


@dataclass(frozen=True)
class Outcome:
    """What a finished job left behind. Every byte here came from hostile code."""

    exit_code: int | None  # None when killed by a signal
    signal: int | None
    killed: KillReason | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_seconds: float
    cpu_seconds: float  # user + system of the job's process tree, as far as measurable
    backend: str


class Monitor(Protocol):
    """Watches the result channel while a job runs."""

    def feed(self, data: bytes) -> None:
        """Receive the next bytes of the result channel (in order, possibly split anywhere)."""

    def deadline(self) -> float | None:
        """Absolute `time.monotonic()` by which the job must end, or None for no extra limit."""

    def should_stop(self) -> bool:
        """True when the job should be killed now (e.g. the channel is malformed)."""


class Sandbox(Protocol):
    """Runs one job in isolation and returns its outcome; never raises for the job's behaviour."""

    name: str

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        """Run `job` under `limits`, streaming the result channel into `monitor`."""


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be used on this machine; the message says why and what to do."""


@dataclass
class CollectingMonitor:
    """A monitor that keeps every channel byte (up to the job's channel limit)."""

    chunks: list[bytes] = field(default_factory=list)
    stop_when: Callable[[bytes], bool] | None = None

    def feed(self, data: bytes) -> None:
        self.chunks.append(data)

    def deadline(self) -> float | None:
        return None

    def should_stop(self) -> bool:
        return False

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)
