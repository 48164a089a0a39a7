"""A cgroup v1 per slot (root only): caps the whole tree's memory (tmpfs pages and kernel
memory included) and process count, counts its CPU, and lists its processes.

The job's chain joins it before anything else runs (`echo $$ > …/cgroup.procs` in the
privileged shell), so every process of the job is inside; the job cannot leave it: it
has no capabilities, no /sys, and its own cgroup namespace.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from grader.sandbox._types import Limits

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpuacct")
# bwrap's monitor, the namespace's init and the start chain run beside the job's own processes.
EXTRA_PROCESSES = 8
# Page cache of the runtime and bwrap's own allocations, beside the job's memory and its tmpfs.
EXTRA_MEMORY = 64 * 1024 * 1024


class SlotCgroup:
    """The memory, pids and cpuacct cgroups of one slot."""

    def __init__(self, slot: int) -> None:
        self.dirs = {c: ROOT / c / "gradelab" / f"slot-{slot}" for c in CONTROLLERS}
        self._caps: tuple[int, int] | None = None  # the memory and pids caps last written (only we write them)

    @classmethod
    def create(cls, slot: int) -> tuple[SlotCgroup | None, str]:
        """The slot's cgroup, or None and the reason it cannot be used on this machine."""
        if os.geteuid() != 0:
            return None, "not root: cgroup v1 controllers are not writable"
        missing = [c for c in CONTROLLERS if not (ROOT / c / "cgroup.procs").is_file()]
        if missing:
            return None, f"cgroup v1 controller(s) {', '.join(missing)} not mounted under {ROOT}"
        group = cls(slot)
        try:
            for folder in group.dirs.values():
                folder.mkdir(parents=True, exist_ok=True)
            group.prepare(Limits())
        except OSError as exc:
            return None, f"cannot configure the slot's cgroup: {exc}"
        return group, "memory, pids and cpuacct cgroup v1 per slot"

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid into to join the slot (one per controller)."""
        return [str(folder / "cgroup.procs") for folder in self.dirs.values()]

    def prepare(self, limits: Limits) -> None:
        """Set this job's caps and zero the CPU counter; the cgroup must be empty."""
        memory = self.dirs["memory"]
        cap = limits.memory_bytes + limits.tmpfs_bytes + EXTRA_MEMORY
        caps = (cap, limits.processes + EXTRA_PROCESSES)
        if caps != self._caps:  # most jobs of a slot have the same limits as the one before
            self._caps = None
            self._set_caps(memory, *caps)
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
