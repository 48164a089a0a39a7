"""Finding and killing what is left of a job on the host, by uid or by cgroup.

`/proc/PID/status` gives the real credentials even of a process that made itself
non-dumpable (which turns its `/proc/PID` directory over to root). Zombies are
ignored: they run nothing, hold nothing and wait for their reaper.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable


def live_pids_of_uid(uid: int) -> set[int]:
    """Processes (not zombies) whose real, effective, saved or fs uid is `uid`."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _is_live_with_uid(int(entry), uid):
            found.add(int(entry))
    return found


def live(pids: Iterable[int]) -> set[int]:
    """The ones of `pids` that still exist and are not zombies."""
    return {pid for pid in pids if _state(pid) not in (None, "Z", "X")}


def kill_until_gone(find: Callable[[], set[int]], timeout: float = 5.0) -> set[int]:
    """SIGKILL whatever `find` returns until it returns nothing; what survived `timeout`."""
    deadline = time.monotonic() + timeout
    pids = find()
    while pids and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)
        pids = find()
    return pids


def _status(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return fh.read()
    except OSError:
        return None


def _state(pid: int) -> str | None:
    status = _status(pid)
    if status is None:
        return None
    for line in status.splitlines():
        if line.startswith("State:"):
            return line.split()[1]
    return None


def _is_live_with_uid(pid: int, uid: int) -> bool:
    status = _status(pid)
    if status is None:
        return False
    state, uids = "", [""]
    for line in status.splitlines():
        if line.startswith("State:"):
            state = line.split()[1]
        elif line.startswith("Uid:"):
            uids = line.split()[1:]
    return state not in ("Z", "X") and str(uid) in uids
