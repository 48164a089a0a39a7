"""A cgroup per slot: caps the whole tree's memory (tmpfs pages and kernel memory included)
and process count, gives the slot an equal CPU share, counts its CPU, and lists its processes.

cgroup v1 (memory, pids, cpu, cpuacct) is used where its controllers are writable (as root,
or a subtree an administrator created and handed to the service's user); otherwise cgroup v2
(see `_cgroup2.py`). The job's chain joins the slot before anything else runs
(`echo $$ > …/cgroup.procs` in the start shell), so every process of the job is inside; the
job cannot leave it: it has no capabilities, no /sys, and its own cgroup namespace.

The CPU share is the cgroup's weight: the scheduler splits the CPU between slots first and
between a slot's processes second, so one job's thirty processes get the share of one slot.
All slots together (`gradelab`) weigh as much as one busy host process per core.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Protocol

from grader.sandbox._types import Limits

ROOT = Path("/sys/fs/cgroup")
REQUIRED = ("memory", "pids", "cpuacct")
# bwrap's monitor, the namespace's init and the start chain run beside the job's own processes.
EXTRA_PROCESSES = 8
# Page cache of the runtime and bwrap's own allocations, beside the job's memory and its tmpfs.
EXTRA_MEMORY = 64 * 1024 * 1024


class SlotCgroup(Protocol):
    """What a sandbox needs of its slot's cgroup, whichever version the host has."""

    @property
    def procs_files(self) -> list[str]: ...

    def prepare(self, limits: Limits) -> None: ...

    def cpu_seconds(self) -> float: ...

    def oom_kills(self) -> int: ...

    def pids(self) -> set[int]: ...


def tree_caps(limits: Limits) -> tuple[int, int]:
    """The slot's memory cap in bytes and its process cap, for a job under `limits`."""
    return limits.memory_bytes + limits.tmpfs_bytes + EXTRA_MEMORY, limits.processes + EXTRA_PROCESSES


def parent_weight() -> int:
    """How many host processes all slots together weigh against: one per core, as jobs without a cgroup would."""
    return max(1, os.cpu_count() or 1)


def open_slot_cgroup(slot: int) -> tuple[SlotCgroup | None, str]:
    """The slot's cgroup (v1, else v2), or None and why neither can be used on this machine."""
    from grader.sandbox._cgroup2 import CgroupV2

    group, why_v1 = CgroupV1.create(slot)
    if group is not None:
        return group, why_v1
    group2, why_v2 = CgroupV2.create(slot)
    if group2 is not None:
        return group2, why_v2
    return None, f"{why_v1}; {why_v2}"


class CgroupV1:
    """The memory, pids, cpu and cpuacct cgroups of one slot."""

    def __init__(self, slot: int, controllers: tuple[str, ...]) -> None:
        self.dirs = {c: ROOT / c / "gradelab" / f"slot-{slot}" for c in controllers}
        self._caps: tuple[int, int] | None = None  # the memory and pids caps last written (only we write them)

    @classmethod
    def create(cls, slot: int) -> tuple[CgroupV1 | None, str]:
        """The slot's cgroup, or None and the reason it cannot be used on this machine."""
        missing = [c for c in REQUIRED if not (ROOT / c / "cgroup.procs").is_file()]
        if missing:
            return None, f"cgroup v1 controller(s) {', '.join(missing)} not mounted under {ROOT}"
        has_cpu = (ROOT / "cpu" / "cpu.shares").is_file()
        group = cls(slot, (*REQUIRED, "cpu") if has_cpu else REQUIRED)
        try:
            for folder in group.dirs.values():
                folder.mkdir(parents=True, exist_ok=True)
            if has_cpu:
                _write(ROOT / "cpu" / "gradelab" / "cpu.shares", str(1024 * parent_weight()))
            group.prepare(Limits())
        except OSError as exc:
            return None, f"cannot configure the slot's cgroup v1 (run as root or delegate {ROOT}/*/gradelab): {exc}"
        share = "an equal CPU share" if has_cpu else "no CPU share (the cpu controller is not mounted)"
        return group, f"memory, pids and cpuacct cgroup v1 per slot, {share}"

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid into to join the slot (one per distinct hierarchy)."""
        seen: dict[Path, str] = {}
        for folder in self.dirs.values():
            seen.setdefault(folder.resolve(), str(folder / "cgroup.procs"))  # cpu and cpuacct may share one
        return list(seen.values())

    def prepare(self, limits: Limits) -> None:
        """Set this job's caps and zero the CPU counter; the cgroup must be empty."""
        caps = tree_caps(limits)
        if caps != self._caps:  # most jobs of a slot have the same limits as the one before
            self._caps = None
            self._set_caps(self.dirs["memory"], *caps)
            self._caps = caps
        _write(self.dirs["cpuacct"] / "cpuacct.usage", "0")

    def _set_caps(self, memory: Path, cap: int, processes: int) -> None:
        memsw = memory / "memory.memsw.limit_in_bytes"
        # memsw must stay >= the memory limit at every step, so the order depends on the direction.
        current = int(_read(memory / "memory.limit_in_bytes") or 0)
        order = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
        for name in order if cap <= current else order[::-1]:
            if name == order[0] or memsw.exists():
                _write(memory / name, str(cap))
        _write(memory / "memory.swappiness", "0")
        _write(self.dirs["pids"] / "pids.max", str(processes))
        if "cpu" in self.dirs:
            _write(self.dirs["cpu"] / "cpu.shares", "1024")  # every slot the same weight

    def cpu_seconds(self) -> float:
        """CPU time of every process that ran in the slot since `prepare`."""
        return int(_read(self.dirs["cpuacct"] / "cpuacct.usage") or 0) / 1e9

    def oom_kills(self) -> int:
        """How many processes the kernel killed for exceeding the memory cap so far."""
        for line in (_read(self.dirs["memory"] / "memory.oom_control") or "").splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return 0

    def pids(self) -> set[int]:
        """Processes still in the slot (from every controller, in case one was left)."""
        found: set[int] = set()
        for path in self.procs_files:
            found.update(int(p) for p in (_read(Path(path)) or "").split())
        return found


def _read(path: Path) -> str | None:
    with contextlib.suppress(OSError):
        return path.read_text()
    return None


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)
