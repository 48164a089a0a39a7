"""The sandbox boundary: what a job is, what limits it runs under, what comes back."""

from __future__ import annotations

import abc
import contextlib
import enum
import fcntl
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, Self


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


class Attachment:
    """Bytes many jobs read, made once: a memfd sealed against any change.

    A job sees it as a read-only file. The prefork backend hands each job a read-only
    descriptor of its own (`open`), so the bytes are never copied into the job's tmpfs; a
    cold job gets them as a file of its archive. The job's entry finds the descriptors of
    its attachments in the environment variable GRADELAB_ATTACHED (a JSON object, name to
    descriptor), and a file under /job for each one it did not get that way.
    """

    SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE

    def __init__(self, data: bytes) -> None:
        fd = os.memfd_create("gradelab-attachment", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o400)  # nobody else may open it again through /proc, not even to read
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, self.SEALS)
        except BaseException:
            os.close(fd)
            raise
        self.fd: int | None = fd
        self.size = len(data)

    def open(self) -> int:
        """A new read-only descriptor of the bytes, with its own offset (the caller closes it)."""
        if self.fd is None:
            raise ValueError("the attachment was closed")
        return os.open(f"/proc/self/fd/{self.fd}", os.O_RDONLY | os.O_CLOEXEC)

    def read(self) -> bytes:
        if self.fd is None:
            raise ValueError("the attachment was closed")
        data = bytearray()
        while len(data) < self.size:
            chunk = os.pread(self.fd, self.size - len(data), len(data))
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        self.close()


@dataclass(frozen=True)
class Job:
    """A program to run: files copied into the job's tmpfs, and the script to start.

    `files` maps a relative path under the work dir to its bytes. `entry` is the
    relative path of the Python script to run with the sandbox's interpreter. The
    script writes its results to file descriptor 3 (the result channel).
    """

    files: Mapping[str, bytes]
    entry: str
    # Read-only files shared with other jobs, by relative path (see `Attachment`); none of `files`.
    attached: Mapping[str, Attachment] = field(default_factory=dict)
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
    MEMORY = "memory"  # the job's processes together went over its memory cap: the slot's cgroup killed one


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


class Sandbox(abc.ABC):
    """Runs one job at a time in isolation and returns its outcome; never raises for the job's behaviour.

    A sandbox holds host resources (a slot, maybe a long-lived process) until `close`; it is a
    context manager that closes itself.
    """

    name: str

    @abc.abstractmethod
    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        """Run `job` under `limits`, streaming the result channel into `monitor`."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line saying which isolation is active."""

    @abc.abstractmethod
    def live_pids(self) -> set[int]:
        """Processes of this sandbox's jobs still running on the host (empty between jobs)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the sandbox holds (waits for a running job); it runs no job afterwards."""

    @property
    def cgroup_active(self) -> bool:
        """Whether a cgroup caps the memory and processes of a job's whole tree."""
        return False

    @property
    def cgroup_status(self) -> str:
        """Why the cgroup is (or is not) active, in words."""
        return "the backend has no cgroup"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
