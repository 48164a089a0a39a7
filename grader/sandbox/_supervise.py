"""Watching a running job from the trusted side: feed it, read it, cap it, time it, kill it.

One thread, one selector: the archive goes to stdin, stdout and stderr are kept up to
their caps, the channel streams into the monitor, and a pidfd says when the job's
process (bwrap's monitor) has ended. Once it has, pipes are drained for a bounded time
only, so nothing holding a pipe open can hang the supervisor.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from grader.sandbox._types import KillReason, Limits, Monitor, Outcome

_CHUNK = 1 << 16
# The result channel's pipe: a job's frames (about a megabyte for a `layers` submission) come in a few reads.
CHANNEL_PIPE_BYTES = 1 << 20
_DRAIN_SECONDS = 1.0
_POLL_SECONDS = 0.25


class MemoryWatch:
    """A monitor that also stops the job once the slot's cgroup killed one of its processes for memory.

    The kernel kills one process when the tree reaches the cap; the job as a whole is then ended
    (at the next poll) and reported as `KillReason.MEMORY`, so a job whose helpers were killed
    cannot carry on as if it had stayed within its limit.
    """

    def __init__(self, monitor: Monitor, oom_kills: Callable[[], int]) -> None:
        self.inner = monitor
        self._oom_kills = oom_kills
        self._before = oom_kills()

    def tripped(self) -> bool:
        return self._oom_kills() > self._before

    def feed(self, data: bytes) -> None:
        self.inner.feed(data)

    def deadline(self) -> float | None:
        return self.inner.deadline()

    def should_stop(self) -> bool:
        return self.tripped() or self.inner.should_stop()


def _stop_reason(monitor: Monitor) -> KillReason | None:
    """Why the monitor wants the job stopped now, or None."""
    if isinstance(monitor, MemoryWatch) and monitor.tripped():
        return KillReason.MEMORY
    return KillReason.MONITOR if monitor.should_stop() else None


@dataclass
class Watched:
    """What the supervisor saw; the caller turns it into an Outcome."""

    killed: KillReason | None = None
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    channel_bytes: int = 0
    status: int = 0
    rusage_cpu: float = 0.0


def outcome(seen: Watched, wall: float, cpu: float, backend: str) -> Outcome:
    """What the caller of a sandbox gets back from what the supervisor saw."""
    code = os.waitstatus_to_exitcode(seen.status)
    return Outcome(
        exit_code=code if code >= 0 else None,
        signal=-code if code < 0 else None,
        killed=seen.killed,
        stdout=bytes(seen.stdout),
        stderr=bytes(seen.stderr),
        stdout_truncated=seen.stdout_truncated,
        stderr_truncated=seen.stderr_truncated,
        wall_seconds=wall,
        cpu_seconds=cpu,
        backend=backend,
    )


class JobProcess(Protocol):
    """The process whose end is the job's end, as the supervisor sees it."""

    exit_fd: int  # readable once the job has ended

    def ended(self) -> bool: ...

    def kill(self) -> None: ...

    def reap(self) -> tuple[int, float]:
        """The wait status and the CPU seconds of the job's tree; called once, after the end or a kill."""
        ...


class PopenProcess:
    """A job that is a direct child of ours (the cold backend: bwrap's monitor)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.exit_fd = os.pidfd_open(proc.pid)

    def ended(self) -> bool:
        return self.proc.returncode is not None

    def kill(self) -> None:
        # bwrap's monitor dies; --die-with-parent and the pid namespace take the whole tree with it.
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    def reap(self) -> tuple[int, float]:
        if self.proc.returncode is not None:
            return 0, 0.0
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return status, usage.ru_utime + usage.ru_stime

    def close(self) -> None:
        os.close(self.exit_fd)


def supervise(
    proc: subprocess.Popen[bytes], archive: bytes, chan_r: int, limits: Limits, monitor: Monitor, started: float
) -> Watched:
    """Drive a cold job to its end; always leaves it dead and reaped, even if the monitor raises."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    job = PopenProcess(proc)
    stdin_fd = os.dup(proc.stdin.fileno())  # `watch` owns and closes this copy
    proc.stdin.close()
    try:
        return watch(
            job, stdin_fd, archive, proc.stdout.fileno(), proc.stderr.fileno(), chan_r, limits, monitor, started
        )
    finally:
        job.close()
        for pipe in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()


def watch(
    job: JobProcess,
    stdin_fd: int | None,
    archive: bytes,
    out_fd: int,
    err_fd: int,
    chan_r: int,
    limits: Limits,
    monitor: Monitor,
    started: float,
) -> Watched:
    """Feed, read, cap and time any job; always leaves it dead and reaped, even if the monitor raises.

    `stdin_fd`, when given, belongs to this function: it is closed once the archive is written, or at the end.
    """
    seen = Watched()
    sel = selectors.DefaultSelector()
    try:
        if stdin_fd is not None:
            os.set_blocking(stdin_fd, False)
            sel.register(stdin_fd, selectors.EVENT_WRITE, "stdin")
        sel.register(out_fd, selectors.EVENT_READ, "stdout")
        sel.register(err_fd, selectors.EVENT_READ, "stderr")
        sel.register(chan_r, selectors.EVENT_READ, "channel")
        sel.register(job.exit_fd, selectors.EVENT_READ, "exit")
        _loop(sel, job, stdin_fd, memoryview(archive), limits, monitor, started, seen)
        if seen.killed is None and isinstance(monitor, MemoryWatch) and monitor.tripped():
            seen.killed = KillReason.MEMORY  # a process was killed for memory after the last poll
    finally:
        if not job.ended():
            job.kill()
            seen.status, seen.rusage_cpu = job.reap()
        if stdin_fd is not None and stdin_fd in sel.get_map():
            os.close(stdin_fd)  # not fully fed: the job ended or was killed first
        sel.close()
    return seen


def _loop(
    sel: selectors.BaseSelector,
    proc: JobProcess,
    stdin_fd: int | None,
    pending: memoryview,
    limits: Limits,
    monitor: Monitor,
    started: float,
    seen: Watched,
) -> None:
    drain_until: float | None = None
    while _readers(sel) or drain_until is None:
        now = time.monotonic()
        if drain_until is None:
            timeout, reason = _time_left(started, limits, monitor, now)
            if timeout <= 0 or seen.killed is not None:
                seen.killed = seen.killed or reason
                proc.kill()
                drain_until = now + _DRAIN_SECONDS
                continue
        elif now >= drain_until:
            return
        else:
            timeout = drain_until - now
        for key, _ in sel.select(min(timeout, _POLL_SECONDS)):
            fd, which = int(key.fd), str(key.data)
            if which == "stdin":
                assert stdin_fd is not None
                pending = _feed(sel, stdin_fd, pending)
            elif which == "exit":
                sel.unregister(fd)
                seen.status, seen.rusage_cpu = proc.reap()
                drain_until = time.monotonic() + _DRAIN_SECONDS
            else:
                data = _read(fd)
                if not data:
                    sel.unregister(fd)
                elif seen.killed is None or which != "channel":
                    seen.killed = _take(seen, which, data, limits, monitor) or seen.killed


def _readers(sel: selectors.BaseSelector) -> bool:
    return any(key.data in ("stdout", "stderr", "channel") for key in sel.get_map().values())


def _time_left(started: float, limits: Limits, monitor: Monitor, now: float) -> tuple[float, KillReason]:
    stop = _stop_reason(monitor)
    if stop is not None:
        return 0.0, stop
    wall = started + limits.wall_seconds - now
    extra = monitor.deadline()
    if extra is not None and extra - now < wall:
        return extra - now, KillReason.DEADLINE
    return wall, KillReason.WALL_TIME


def _take(seen: Watched, which: str, data: bytes, limits: Limits, monitor: Monitor) -> KillReason | None:
    if which == "channel":
        room = limits.channel_bytes - seen.channel_bytes
        seen.channel_bytes += len(data)
        if room > 0:
            monitor.feed(data[:room])
        if len(data) > room:
            return KillReason.CHANNEL_OVERFLOW
        return _stop_reason(monitor)
    buf = seen.stdout if which == "stdout" else seen.stderr
    cap = limits.stdout_bytes if which == "stdout" else limits.stderr_bytes
    room = max(cap - len(buf), 0)
    buf.extend(data[:room])
    if len(data) <= room:
        return None
    if which == "stdout":
        seen.stdout_truncated = True
        return KillReason.STDOUT_OVERFLOW
    seen.stderr_truncated = True
    return KillReason.STDERR_OVERFLOW


def _feed(sel: selectors.BaseSelector, fd: int, pending: memoryview) -> memoryview:
    try:
        pending = pending[os.write(fd, pending[:_CHUNK]) :]
    except (BlockingIOError, InterruptedError):
        return pending
    except OSError:  # the job closed its stdin or died: nothing more to send
        pending = pending[:0]
    if not pending:
        sel.unregister(fd)
        with contextlib.suppress(OSError):
            os.close(fd)
    return pending


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, CHANNEL_PIPE_BYTES)
    except OSError:
        return b""
