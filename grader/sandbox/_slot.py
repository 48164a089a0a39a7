"""One sandbox slot of this host: its uid, its lock, its cgroup and the plan that starts its jobs.

Both backends hold a `Slot`: the cold one starts every job through it, the pre-forked one starts
its zygote (and any job that needs a fresh interpreter) through it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import threading
from pathlib import Path

from grader.sandbox._cgroup import SlotCgroup, open_slot_cgroup
from grader.sandbox._command import Plan, StartMode, Tools
from grader.sandbox._layout import DEFAULT_PACKAGES, discover
from grader.sandbox._procs import kill_until_gone, live, live_pids_of_uid
from grader.sandbox._seccomp import seccomp_program
from grader.sandbox._supervise import MemoryWatch
from grader.sandbox._types import Limits, Monitor, Sandbox, SandboxUnavailable

UID_BASE = 61000
MAX_SLOTS = 256
STAGE = Path("/run/gradelab-sandbox")


class SlotBusy(SandboxUnavailable):
    """Another sandbox object on this host holds the slot (and its uid)."""


class Slot:
    """The host side of one slot, held while it lives: a uid runs one job at a time.

    `lock` serialises the slot's jobs; whoever runs a job holds it and checks `open` first.
    """

    def __init__(
        self,
        number: int = 0,
        *,
        uid_base: int = UID_BASE,
        packages: tuple[str, ...] = DEFAULT_PACKAGES,
        cgroup: bool = True,
    ) -> None:
        if not 0 <= number < MAX_SLOTS:
            raise ValueError(f"slot {number} is out of range: use 0 to {MAX_SLOTS - 1}")
        self.number = number
        self.uid = uid_base + number
        self.start_mode = StartMode.ROOT if os.geteuid() == 0 else StartMode.UNPRIVILEGED
        _refuse_existing_uid(self.uid)
        tools = Tools.find(self.start_mode)
        try:
            seccomp_program()
        except OSError as exc:
            raise SandboxUnavailable(f"cannot compile the seccomp filter with libseccomp: {exc}") from exc
        self.lock = threading.Lock()
        self._lock_fd: int | None = _lock_slot(number)  # before touching the slot's stage or cgroup
        try:
            self.cgroup: SlotCgroup | None = None
            self.cgroup_status = "off (disabled by the caller)"
            if cgroup:
                self.cgroup, self.cgroup_status = open_slot_cgroup(number)
            stage = STAGE / f"slot-{number}"
            if self.start_mode is StartMode.ROOT:
                _make_stage(stage)
            self.plan = Plan(
                mode=self.start_mode,
                tools=tools,
                layout=discover(packages),
                uid=self.uid,
                stage=stage,
                cgroup_procs=tuple(self.cgroup.procs_files) if self.cgroup else (),
            )
        except BaseException:
            self.release()
            raise

    @property
    def open(self) -> bool:
        return self._lock_fd is not None

    def check_open(self) -> None:
        if self._lock_fd is None:
            raise SandboxUnavailable(f"sandbox slot {self.number} was closed")

    def describe(self, backend: str) -> str:
        """One line saying which isolation is active."""
        identity = f"uid {self.uid}" if self.start_mode is StartMode.ROOT else "the caller's uid (unprivileged start)"
        cgroup = f"cgroup: {self.cgroup_status}" if self.cgroup else f"cgroup: none ({self.cgroup_status})"
        return f"{backend} slot {self.number}, start mode {self.start_mode.value}, {identity}, seccomp on, {cgroup}"

    def prepare(self, limits: Limits, monitor: Monitor) -> Monitor:
        """Set the cgroup's caps for the next job; the monitor to give the supervisor (it also watches the cgroup)."""
        if self.cgroup is None:
            return monitor
        self.cgroup.prepare(limits)
        return MemoryWatch(monitor, self.cgroup.oom_kills)

    def pids(self, thorough: bool = False) -> set[int]:
        """The slot's processes on the host: its cgroup (which no job can leave), and with `thorough`
        or without a cgroup a scan of /proc by uid too. Empty when jobs run as the caller's uid."""
        if self.start_mode is not StartMode.ROOT:
            return set()
        if self.cgroup is not None and not thorough:
            return live(self.cgroup.pids())
        found = live_pids_of_uid(self.uid)
        return found | live(self.cgroup.pids()) if self.cgroup is not None else found

    def kill_all(self) -> None:
        """No process of the slot may be left: kill by cgroup and by uid until none is."""
        if self.start_mode is not StartMode.ROOT:
            return  # the jobs run as our own uid: their pid namespaces are what end them
        survivors = kill_until_gone(lambda: self.pids(thorough=True))
        if survivors:
            raise SandboxUnavailable(f"processes {sorted(survivors)} of sandbox slot {self.number} cannot be killed")

    def release(self) -> None:
        """Give the slot up for another sandbox object (the caller holds `lock` or no job can run)."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)


class SlotSandbox(Sandbox):
    """A backend that holds one `Slot`: what it says about itself is the slot's."""

    _slot: Slot

    @property
    def slot(self) -> int:
        return self._slot.number

    @property
    def uid(self) -> int:
        return self._slot.uid

    @property
    def start_mode(self) -> StartMode:
        return self._slot.start_mode

    @property
    def _cgroup(self) -> SlotCgroup | None:
        return self._slot.cgroup

    @property
    def cgroup_active(self) -> bool:
        return self._slot.cgroup is not None

    @property
    def cgroup_status(self) -> str:
        return self._slot.cgroup_status

    def describe(self) -> str:
        return self._slot.describe(self.name)

    def command(self, limits: Limits, seccomp_fd: int, channel_fd: int) -> list[str]:
        """The whole command line that starts one cold job of the slot (for inspection and tests)."""
        return self._slot.plan.command(limits, seccomp_fd, channel_fd)


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
