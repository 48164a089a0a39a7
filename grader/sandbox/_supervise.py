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
from dataclasses import dataclass, field

from grader.sandbox._types import KillReason, Limits, Monitor

_CHUNK = 1 << 16
_DRAIN_SECONDS = 1.0
_POLL_SECONDS = 0.25


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


def supervise(
    proc: subprocess.Popen[bytes], archive: bytes, chan_r: int, limits: Limits, monitor: Monitor, started: float
) -> Watched:
    """Drive the job to its end; always leaves it dead and reaped, even if the monitor raises."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    seen = Watched()
    pidfd = os.pidfd_open(proc.pid)
    sel = selectors.DefaultSelector()
    try:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, "stdin")
        sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "stdout")
        sel.register(proc.stderr.fileno(), selectors.EVENT_READ, "stderr")
        sel.register(chan_r, selectors.EVENT_READ, "channel")
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        _loop(sel, proc, memoryview(archive), limits, monitor, started, seen)
    finally:
        if proc.returncode is None:
            _kill(proc)
            seen.status, seen.rusage_cpu = _reap(proc)
        sel.close()
        os.close(pidfd)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
    return seen


def _loop(
    sel: selectors.BaseSelector,
    proc: subprocess.Popen[bytes],
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
                _kill(proc)
                drain_until = now + _DRAIN_SECONDS
                continue
        elif now >= drain_until:
            return
        else:
            timeout = drain_until - now
        for key, _ in sel.select(min(timeout, _POLL_SECONDS)):
            fd, which = int(key.fd), str(key.data)
            if which == "stdin":
                pending = _feed(sel, proc, pending)
            elif which == "exit":
                sel.unregister(fd)
                seen.status, seen.rusage_cpu = _reap(proc)
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
    if monitor.should_stop():
        return 0.0, KillReason.MONITOR
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
        return KillReason.MONITOR if monitor.should_stop() else None
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


def _feed(sel: selectors.BaseSelector, proc: subprocess.Popen[bytes], pending: memoryview) -> memoryview:
    assert proc.stdin is not None
    try:
        pending = pending[os.write(proc.stdin.fileno(), pending[:_CHUNK]) :]
    except (BlockingIOError, InterruptedError):
        return pending
    except OSError:  # the job closed its stdin or died: nothing more to send
        pending = pending[:0]
    if not pending:
        sel.unregister(proc.stdin.fileno())
        with contextlib.suppress(OSError):
            proc.stdin.close()
    return pending


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, _CHUNK)
    except OSError:
        return b""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # bwrap's monitor dies; --die-with-parent and the pid namespace take the whole tree with it.
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    if proc.returncode is not None:
        return 0, 0.0
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage.ru_utime + usage.ru_stime
