"""A cgroup v2 per slot, inside the subtree the service was given (root's, or a delegated one).

The service's own cgroup is the base (from /proc/self/cgroup). cgroup v2 lets a cgroup hand
controllers to its children only while it holds no process itself, so the processes of the
base move into a leaf `base/service` first; then memory, pids and (where delegated) cpu are
enabled for `base/gradelab`, which holds one cgroup per slot. This works as root and as any
user the base was delegated to (systemd `Delegate=yes`, or a container with its own cgroup
namespace and a writable /sys/fs/cgroup).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from grader.sandbox._cgroup import _read, _write, parent_weight, tree_caps
from grader.sandbox._types import Limits

MOUNTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
REQUIRED = ("memory", "pids")
LEAF = "service"  # where the base's own processes go, so that it may hand controllers to its children
SLOTS = "gradelab"  # the slots' parent
HOW = (
    "delegate a cgroup v2 subtree with the memory and pids controllers to the service's user (systemd: "
    "Delegate=yes; a container: a cgroup v2 host, --cgroupns=private and a writable /sys/fs/cgroup)"
)


class CgroupV2:
    """The cgroup v2 of one slot: memory.max, pids.max, cpu.weight, and its CPU counter."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._caps: tuple[int, int] | None = None
        self._cpu_start = 0

    @classmethod
    def create(cls, slot: int) -> tuple[CgroupV2 | None, str]:
        """The slot's cgroup, or None and the reason it cannot be used on this machine."""
        base = _own_cgroup()
        if base is None:
            return None, "no cgroup v2 hierarchy is mounted"
        available = (_read(base / "cgroup.controllers") or "").split()
        missing = [c for c in REQUIRED if c not in available]
        if missing:
            return None, (
                f"cgroup v2 controller(s) {', '.join(missing)} are not available to {base} "
                f"(it has: {' '.join(available) or 'none'}); {HOW}"
            )
        wanted = [c for c in (*REQUIRED, "cpu") if c in available]
        try:
            parent = _slots_parent(base, wanted)
            folder = parent / f"slot-{slot}"
            folder.mkdir(exist_ok=True)
            group = cls(folder)
            group.prepare(Limits())
        except OSError as exc:
            return None, f"cannot configure the slot's cgroup v2 under {base}: {exc}; {HOW}"
        share = "an equal CPU share" if "cpu" in wanted else "no CPU share (cpu is not delegated)"
        return group, f"memory and pids cgroup v2 per slot under {parent}, {share}"

    @property
    def procs_files(self) -> list[str]:
        """The file a process writes its pid into to join the slot."""
        return [str(self.folder / "cgroup.procs")]

    def prepare(self, limits: Limits) -> None:
        """Set this job's caps and start its CPU count; the cgroup must be empty."""
        caps = tree_caps(limits)
        if caps != self._caps:
            self._caps = None
            _write(self.folder / "memory.max", str(caps[0]))
            if (self.folder / "memory.swap.max").exists():
                _write(self.folder / "memory.swap.max", "0")
            _write(self.folder / "pids.max", str(caps[1]))
            if (self.folder / "cpu.weight").exists():
                _write(self.folder / "cpu.weight", "100")  # every slot the same weight
            self._caps = caps
        self._cpu_start = self._usage_usec()

    def _usage_usec(self) -> int:
        for line in (_read(self.folder / "cpu.stat") or "").splitlines():
            name, _, value = line.partition(" ")
            if name == "usage_usec":
                return int(value)
        return 0

    def cpu_seconds(self) -> float:
        """CPU time of every process that ran in the slot since `prepare`."""
        return (self._usage_usec() - self._cpu_start) / 1e6

    def oom_kills(self) -> int:
        """How many processes the kernel killed for exceeding the memory cap so far."""
        for line in (_read(self.folder / "memory.events") or "").splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return 0

    def pids(self) -> set[int]:
        """Processes still in the slot."""
        return {int(p) for p in (_read(self.folder / "cgroup.procs") or "").split()}


def _own_cgroup() -> Path | None:
    """The cgroup v2 directory the service was given, on whichever mount has the v2 hierarchy.

    That is this process's cgroup, unless it is the `service` leaf a first slot moved it into
    (a second slot, or a restarted service inheriting the leaf): then the base is its parent,
    so every slot is a sibling under one `gradelab` and gets the same share.
    """
    path = next((line[3:] for line in (_read(Path("/proc/self/cgroup")) or "").splitlines() if line[:3] == "0::"), None)
    for mount in MOUNTS:
        if path is not None and (mount / "cgroup.controllers").is_file():
            own = mount / path.strip().lstrip("/")
            if own.name == LEAF and own != mount and (own.parent / SLOTS / "cgroup.controllers").is_file():
                return own.parent
            return own
    return None


def _slots_parent(base: Path, controllers: list[str]) -> Path:
    """`base/gradelab`, with `controllers` enabled for its children (moving base's processes out first)."""
    if (base / "cgroup.type").exists():  # not the hierarchy's root, so "no internal processes" applies
        leaf = base / LEAF
        leaf.mkdir(exist_ok=True)
        for pid in (_read(base / "cgroup.procs") or "").split():
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                _write(leaf / "cgroup.procs", pid)
    enable = " ".join(f"+{c}" for c in controllers)
    _write(base / "cgroup.subtree_control", enable)
    parent = base / SLOTS
    parent.mkdir(exist_ok=True)
    _write(parent / "cgroup.subtree_control", enable)
    if "cpu" in controllers:
        _write(parent / "cpu.weight", str(min(10000, 100 * parent_weight())))
    return parent
