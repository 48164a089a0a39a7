"""The cold-start backend: one fresh bubblewrap sandbox per job, as the slot's own uid."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import subprocess
import threading
import time
from pathlib import Path

from grader.sandbox._bootstrap import pack_files
from grader.sandbox._cgroup import SlotCgroup, open_slot_cgroup
from grader.sandbox._command import Plan, StartMode, Tools
from grader.sandbox._layout import DEFAULT_PACKAGES, discover
from grader.sandbox._procs import kill_until_gone, live, live_pids_of_uid
from grader.sandbox._seccomp import seccomp_memfd, seccomp_program
from grader.sandbox._supervise import CHANNEL_PIPE_BYTES, MemoryWatch, outcome, supervise
from grader.sandbox._types import Job, Limits, Monitor, Outcome, SandboxUnavailable

UID_BASE = 61000
MAX_SLOTS = 256
STAGE = Path("/run/gradelab-sandbox")


class SlotBusy(SandboxUnavailable):
    """Another sandbox object on this host holds the slot (and its uid)."""


class BwrapSandbox:
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
        if not 0 <= slot < MAX_SLOTS:
            raise ValueError(f"slot {slot} is out of range: use 0 to {MAX_SLOTS - 1}")
        self.slot = slot
        self.uid = uid_base + slot
        self.start_mode = StartMode.ROOT if os.geteuid() == 0 else StartMode.UNPRIVILEGED
        _refuse_existing_uid(self.uid)
        tools = Tools.find(self.start_mode)
        try:
            seccomp_program()
        except OSError as exc:
            raise SandboxUnavailable(f"cannot compile the seccomp filter with libseccomp: {exc}") from exc
        self._run_lock = threading.Lock()
        self._slot_lock: int | None = _lock_slot(slot)  # before touching the slot's stage or cgroup
        try:
            self._cgroup: SlotCgroup | None = None
            self.cgroup_status = "off (disabled by the caller)"
            if cgroup:
                self._cgroup, self.cgroup_status = open_slot_cgroup(slot)
            stage = STAGE / f"slot-{slot}"
            if self.start_mode is StartMode.ROOT:
                _make_stage(stage)
            self._plan = Plan(
                mode=self.start_mode,
                tools=tools,
                layout=discover(packages),
                uid=self.uid,
                stage=stage,
                cgroup_procs=tuple(self._cgroup.procs_files) if self._cgroup else (),
            )
        except BaseException:
            self.close()
            raise

    @property
    def cgroup_active(self) -> bool:
        return self._cgroup is not None

    def describe(self) -> str:
        """One line saying which isolation is active."""
        identity = f"uid {self.uid}" if self.start_mode is StartMode.ROOT else "the caller's uid (unprivileged start)"
        cgroup = f"cgroup: {self.cgroup_status}" if self._cgroup else f"cgroup: none ({self.cgroup_status})"
        return f"bwrap slot {self.slot}, start mode {self.start_mode.value}, {identity}, seccomp on, {cgroup}"

    def command(self, limits: Limits, seccomp_fd: int, channel_fd: int) -> list[str]:
        """The whole command line that starts one job (for inspection and tests)."""
        return self._plan.command(limits, seccomp_fd, channel_fd)

    def run(self, job: Job, limits: Limits, monitor: Monitor) -> Outcome:
        """Run one job; the job's behaviour never raises, only broken infrastructure does."""
        archive = pack_files(job)
        with self._run_lock:
            if self._slot_lock is None:
                raise SandboxUnavailable(f"sandbox slot {self.slot} was closed")
            if self._cgroup is not None:
                self._cgroup.prepare(limits)
                monitor = MemoryWatch(monitor, self._cgroup.oom_kills)
            return self._run(archive, limits, monitor)

    def _run(self, archive: bytes, limits: Limits, monitor: Monitor) -> Outcome:
        seccomp_fd = seccomp_memfd()
        chan_r, chan_w = os.pipe()
        with contextlib.suppress(OSError):  # only a matter of speed
            fcntl.fcntl(chan_r, fcntl.F_SETPIPE_SZ, CHANNEL_PIPE_BYTES)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                self._plan.command(limits, seccomp_fd, chan_w),
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
            self._kill_leftovers()
        wall = time.monotonic() - started
        cpu = self._cgroup.cpu_seconds() if self._cgroup is not None else seen.rusage_cpu
        return outcome(seen, wall, cpu, self.name)

    def _kill_leftovers(self) -> None:
        """No process of this slot may outlive its job: kill by cgroup and by uid until none is left."""
        if self.start_mode is not StartMode.ROOT:
            return  # the job runs as our own uid: its pid namespace is what ends it
        group = self._cgroup

        def find() -> set[int]:
            found = live_pids_of_uid(self.uid)
            return found | live(group.pids()) if group is not None else found

        survivors = kill_until_gone(find)
        if survivors:
            raise SandboxUnavailable(f"processes {sorted(survivors)} of sandbox slot {self.slot} cannot be killed")

    def live_pids(self) -> set[int]:
        """Processes of this slot still running on the host (empty between jobs)."""
        if self.start_mode is not StartMode.ROOT:
            return set()
        found = live_pids_of_uid(self.uid)
        return found | live(self._cgroup.pids()) if self._cgroup is not None else found

    def close(self) -> None:
        """Release the slot for another sandbox object (waits for a running job)."""
        with self._run_lock:
            if self._slot_lock is not None:
                os.close(self._slot_lock)
                self._slot_lock = None

    def __enter__(self) -> BwrapSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _refuse_existing_uid(uid: int) -> None:
    with contextlib.suppress(KeyError):
        user = pwd.getpwuid(uid)
        raise SandboxUnavailable(
            f"uid {uid} belongs to user {user.pw_name!r}: a sandbox slot needs a uid no account uses; "
            "choose another uid_base"
        )


def _make_stage(stage: Path) -> None:
    for sub in ("rt", "venv", "job"):
        (stage / sub).mkdir(parents=True, exist_ok=True)
    for folder in (STAGE, stage):
        folder.chmod(0o755)


def _lock_slot(slot: int) -> int:
    """Hold the slot's lock while this object lives: a uid must never run two jobs at once."""
    folder = STAGE if os.geteuid() == 0 else Path(f"/tmp/gradelab-sandbox-{os.geteuid()}")
    folder.mkdir(mode=0o755 if os.geteuid() == 0 else 0o700, parents=True, exist_ok=True)
    fd = os.open(folder / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SlotBusy(f"sandbox slot {slot} is in use by another sandbox on this host") from None
    return fd
