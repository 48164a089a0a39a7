"""Runs inside the sandbox as the job's init: driver calls in runner processes, results to fd 3.

The parent never runs problem or student code. It forks a runner, which imports the
submission once and runs the calls one after another, writing into a pipe of its own
each call's frames followed by a `ran` marker (one write per call). The parent passes a
call's frames on to the channel, enforces the call's time limit, and when a call crashes,
hangs, floods or ends its process, records that as the call's result, kills every process
the runner left behind, and starts a fresh runner at the next call: one broken function
costs only its own tests. A runner also stops (`stop` marker) after any call that failed
in a way that may have left its state damaged (an exception, MemoryError, SystemExit), so
the next call starts clean. Calls under a different variant of the problem's code get
runners of their own. Quiet calls (hidden tests) run last, with their output going nowhere
and their inputs sealed (see `seal`): a runner that starts on visible calls goes on to the
quiet ones only through `Switch`, which cuts off everything it could show before it is
handed the sealed inputs; a runner that starts on quiet calls has them from the start.

This file is the entry: set-up (`seal`), the phases (`segments`), one runner at a time (`run_runner`)
and the end frame. The runner is `harness_runner`, the parent's side of it `harness_relay`, and what
the harness keeps for the whole job is one `HarnessState`, made here (see it for which side of a fork
owns what).

Imports only the standard library, NumPy and the sibling modules in /job/lib.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)) + "/lib"]
import numpy as np  # noqa: E402, F401  (imported once here so every runner starts with it)

if TYPE_CHECKING:  # the same files, as the grader imports them
    from grader._harness.harness_relay import Relay, Switch, exit_status
    from grader._harness.harness_runner import runner
    from grader._harness.harness_state import CHANNEL_FD, JOB, PIPE_BYTES, HarnessState, emit
    from grader._harness.wire import CallStatus
else:
    from harness_relay import Relay, Switch, exit_status
    from harness_runner import runner
    from harness_state import CHANNEL_FD, JOB, PIPE_BYTES, HarnessState, emit
    from wire import CallStatus


def seal(state: HarnessState) -> None:
    """Open every file under sealed/ and take it off the disk (before any runner starts).

    Only runners of quiet calls keep these descriptors; the others close them first thing. This
    process is not dumpable, so no runner can reopen them through /proc. Sealed inputs the backend
    handed over as descriptors (GRADELAB_ATTACHED) are kept the same way, and never were on disk.
    """
    for name, fd in json.loads(os.environ.pop("GRADELAB_ATTACHED", "{}")).items():
        state.sealed[name] = int(fd)
    folder = os.path.join(JOB, "sealed")
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        state.sealed["sealed/" + name] = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        os.unlink(path)
    os.rmdir(folder)


def kill_strays(state: HarnessState) -> None:
    """Kill every process of this sandbox except this one (and the namespace's init)."""
    if not state.isolated:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def run_runner(state: HarnessState, calls: list[dict[str, Any]]) -> int:
    """Start a runner on `calls`; how many of them got a result (at least one)."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError):  # only a matter of speed (the uid's pipe allowance may be spent)
        fcntl.fcntl(read_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    # One runner for the visible calls and the quiet ones after them, when there are both: see `Switch`.
    switch = Switch(state) if not calls[0].get("quiet") and any(c.get("quiet") for c in calls) else None
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            runner(state, calls, write_fd, switch)
        finally:
            _flush_and_exit()
    os.close(write_fd)
    if switch is not None:
        switch.in_parent()
    relay = Relay(state, calls, pid, read_fd, switch)
    stopped, code = relay.watch()
    if code is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        code = os.waitpid(pid, 0)[1]
    kill_strays(state)  # a grandchild may still hold the pipe open, or linger
    if switch is not None:
        switch.close()
    if relay.next < len(calls):
        key = relay.key()
        if relay.stopping and not stopped and (os.WIFEXITED(code) or key not in state.lingered):
            # It ended as it said it would, after a failed call (or lingered on its way out, which
            # the next call is not charged for, once): the next runner takes over.
            state.lingered.add(key)
        else:
            status = stopped or (CallStatus.TIMEOUT if relay.stopping else exit_status(code))
            if not relay.imported:  # the import itself hangs or kills its process: so it would for every call
                while relay.next < len(calls):
                    relay.end(status)
            else:
                relay.end(status)
    relay.flush()
    os.close(read_fd)
    return max(relay.next, 1)


def segments(calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive calls that can share a runner: the same variant, and never a visible call after a quiet
    one (quiet calls may follow visible ones: `Switch`)."""

    def kind(call: dict[str, Any]) -> str | None:
        return (call.get("variant") or {}).get("name")

    out: list[list[dict[str, Any]]] = []
    for call in calls:
        if out and kind(call) == kind(out[-1][0]) and (call.get("quiet") or not out[-1][-1].get("quiet")):
            out[-1].append(call)
        else:
            out.append([call])
    return out


def _flush_and_exit() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # a student may have replaced the stream
            stream.flush()
    os._exit(0)


def main() -> None:
    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if os.getpid() == 1:  # the job's init: nothing in the job can signal it, not even an interrupt
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The first runner leaves the submission's bytecode in /job for the runners after it (the job's own
    # tmpfs, gone with the job).
    sys.dont_write_bytecode = False
    with open(os.path.join(JOB, "plan.json"), encoding="utf-8") as fh:
        state = HarnessState.start(json.load(fh))
    seal(state)
    emit(CHANNEL_FD, {"k": "hello"})
    # Quiet calls last: once one has run, nothing that could show its traces runs after it.
    plan = state.plan
    calls = [c for c in plan["calls"] if not c.get("quiet")] + [c for c in plan["calls"] if c.get("quiet")]
    for group in segments(calls):
        while group:
            group = group[run_runner(state, group) :]
    emit(CHANNEL_FD, {"k": "done"})


if __name__ == "__main__":
    main()
