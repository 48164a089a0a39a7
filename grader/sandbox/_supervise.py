"""Watching a running job from the trusted side: feed it, read it, cap it, time it, kill it."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time

from grader.sandbox._types import KillReason, Limits, Monitor, Outcome

_CHUNK = 1 << 16
_DRAIN_SECONDS = 2.0


class _Streams:
    """Capped buffers for stdout and stderr, the channel going to the monitor."""

    def __init__(self, limits: Limits, monitor: Monitor) -> None:
        self.limits = limits
        self.monitor = monitor
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.channel_bytes = 0
        self.truncated = {"stdout": False, "stderr": False}

    def take(self, which: str, data: bytes) -> KillReason | None:
        if which == "channel":
            self.channel_bytes += len(data)
            if self.channel_bytes > self.limits.channel_bytes:
                return KillReason.CHANNEL_OVERFLOW
            self.monitor.feed(data)
            return KillReason.MONITOR if self.monitor.should_stop() else None
        buf = self.stdout if which == "stdout" else self.stderr
        cap = self.limits.stdout_bytes if which == "stdout" else self.limits.stderr_bytes
        room = cap - len(buf)
        buf.extend(data[: max(room, 0)])
        if len(data) > room:
            self.truncated[which] = True
            return KillReason.STDOUT_OVERFLOW if which == "stdout" else KillReason.STDERR_OVERFLOW
        return None


def supervise(
    proc: subprocess.Popen[bytes],
    archive: bytes,
    chan_r: int,
    limits: Limits,
    monitor: Monitor,
    started: float,
    backend: str,
) -> Outcome:
    """Drive the job to its end and describe what happened."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    streams = _Streams(limits, monitor)
    sel = selectors.DefaultSelector()
    os.set_blocking(proc.stdin.fileno(), False)
    sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    sel.register(chan_r, selectors.EVENT_READ, "channel")
    pending = memoryview(archive)
    killed: KillReason | None = None
    try:
        while _readers(sel) and killed is None:
            timeout, reason = _next_deadline(started, limits, monitor)
            if timeout <= 0:
                killed = reason
                break
            for key, _ in sel.select(min(timeout, 0.5)):
                if key.data == "stdin":
                    pending = _feed(proc, sel, pending)
                    continue
                data = _read(key.fileobj)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                killed = streams.take(key.data, data) or killed
    finally:
        if killed is not None:
            _kill(proc)
        _drain(sel, streams)
        sel.close()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            _close(pipe)
    status, cpu = _reap(proc)
    code = os.waitstatus_to_exitcode(status)
    return Outcome(
        exit_code=code if code >= 0 else None,
        signal=-code if code < 0 else None,
        killed=killed,
        stdout=bytes(streams.stdout),
        stderr=bytes(streams.stderr),
        stdout_truncated=streams.truncated["stdout"],
        stderr_truncated=streams.truncated["stderr"],
        wall_seconds=time.monotonic() - started,
        cpu_seconds=cpu,
        backend=backend,
    )


def _names(sel: selectors.BaseSelector) -> set[str]:
    return {k.data for k in sel.get_map().values()}


def _readers(sel: selectors.BaseSelector) -> bool:
    return bool(_names(sel) & {"stdout", "stderr", "channel"})


def _next_deadline(started: float, limits: Limits, monitor: Monitor) -> tuple[float, KillReason]:
    now = time.monotonic()
    wall = started + limits.wall_seconds - now
    extra = monitor.deadline()
    if extra is not None and extra - now < wall:
        return extra - now, KillReason.DEADLINE
    return wall, KillReason.WALL_TIME


def _feed(proc: subprocess.Popen[bytes], sel: selectors.BaseSelector, pending: memoryview) -> memoryview:
    assert proc.stdin is not None
    try:
        written = os.write(proc.stdin.fileno(), pending[:_CHUNK])
        pending = pending[written:]
    except (BlockingIOError, InterruptedError):
        return pending
    except (BrokenPipeError, OSError):
        pending = pending[len(pending) :]
    if not pending:
        sel.unregister(proc.stdin)
        _close(proc.stdin)
    return pending


def _read(fileobj: object) -> bytes:
    fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()  # type: ignore[attr-defined]
    try:
        return os.read(fd, _CHUNK)
    except OSError:
        return b""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # The bwrap process dies; --die-with-parent and the pid namespace take the whole tree with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(proc.pid, signal.SIGKILL)


def _drain(sel: selectors.BaseSelector, streams: _Streams) -> None:
    """Read what is left after the job ended or was killed, for a bounded time."""
    end = time.monotonic() + _DRAIN_SECONDS
    while _readers(sel) and time.monotonic() < end:
        for key, _ in sel.select(0.1):
            if key.data == "stdin":
                sel.unregister(key.fileobj)
                continue
            data = _read(key.fileobj)
            if not data:
                sel.unregister(key.fileobj)
            elif key.data == "channel" and streams.channel_bytes <= streams.limits.channel_bytes:
                streams.take("channel", data)
            elif key.data != "channel":
                streams.take(key.data, data)


def _close(pipe: object) -> None:
    with contextlib.suppress(OSError):
        pipe.close()  # type: ignore[attr-defined]


def _reap(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:
        proc.wait()
        return (proc.returncode or 0) & 0xFFFF, 0.0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return status, usage.ru_utime + usage.ru_stime
