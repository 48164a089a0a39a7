"""The cold-start backend: one fresh bubblewrap sandbox per job, as the slot's own uid."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time

from grader.sandbox._bootstrap import pack_files
from grader.sandbox._layout import DEFAULT_PACKAGES
from grader.sandbox._seccomp import seccomp_memfd
from grader.sandbox._slot import MAX_SLOTS, UID_BASE, Slot, SlotBusy, SlotSandbox
from grader.sandbox._supervise import CHANNEL_PIPE_BYTES, outcome, supervise
from grader.sandbox._types import Job, Limits, Monitor, Outcome, SandboxUnavailable

__all__ = ["MAX_SLOTS", "UID_BASE", "BwrapSandbox", "SlotBusy", "run_cold"]


class BwrapSandbox(SlotSandbox):
    """Runs each job in a fresh bubblewrap sandbox as the slot's unprivileged uid.

    Thread-safe: a slot runs one job at a time (concurrent calls wait their turn); use
    one slot per concurrent job.
    """

    name = "bwrap"

    def __init__(
        self,
        slot: int = 0,
        *,
        uid_base: int = UID_BASE,
        packages: tuple[str, ...] = DEFAULT_PACKAGES,
        cgroup: bool = True,
    ) -> None:
        self._slot = Slot(slot, uid_base=uid_base, packages=packages, cgroup=cgroup)

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        """Run one job; the job's behaviour never raises, only broken infrastructure does."""
        archive = pack_files(job)
        with self._slot.lock:
            self._slot.check_open()
            return run_cold(self._slot, archive, limits, self._slot.prepare(limits, monitor), self.name)

    def live_pids(self) -> set[int]:
        """Processes of this slot still running on the host (empty between jobs)."""
        return self._slot.pids(thorough=True)

    def close(self) -> None:
        """Release the slot for another sandbox object (waits for a running job)."""
        with self._slot.lock:
            self._slot.release()


def run_cold(slot: Slot, archive: bytes, limits: Limits, monitor: Monitor, backend: str) -> Outcome:
    """Start one job in a fresh sandbox of `slot` (whose lock the caller holds) and supervise it to its end."""
    seccomp_fd = seccomp_memfd()
    chan_r, chan_w = os.pipe()
    with contextlib.suppress(OSError):  # only a matter of speed
        fcntl.fcntl(chan_r, fcntl.F_SETPIPE_SZ, CHANNEL_PIPE_BYTES)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            slot.plan.command(limits, seccomp_fd, chan_w),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={},
            cwd="/",
            pass_fds=(seccomp_fd, chan_w),
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        os.close(chan_r)
        raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from exc
    finally:
        os.close(seccomp_fd)
        os.close(chan_w)
    try:
        seen = supervise(proc, archive, chan_r, limits, monitor, started)
    finally:
        os.close(chan_r)
        slot.kill_all()  # no process of this slot may outlive its job
    wall = time.monotonic() - started
    cpu = slot.cgroup.cpu_seconds() if slot.cgroup is not None else seen.rusage_cpu
    return outcome(seen, wall, cpu, backend)
