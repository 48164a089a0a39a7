"""What a job sees of /dev and /proc: no terminals, and none of the kernel's global counters.

Two jobs running at the same time share one kernel. Anything global that one job can move
and the other can read is a channel between them (a hidden test's inputs leaking into
another submission's visible output). The cheapest ones are closed here:

- /dev holds only null, zero, full, random and urandom: no /dev/ptmx and no devpts, so a job
  cannot allocate a pseudo-terminal and move the global pty counter.
- Every top-level entry of /proc that is not a process (loadavg, stat, meminfo, vmstat,
  uptime, locks, pressure, sys...) is masked: a file reads as empty, a directory is an empty
  read-only tmpfs. The list is taken from this kernel's own /proc (an allowlist of what stays,
  not a denylist of what goes), so a counter a newer kernel adds is masked too.

What remains (CPU and memory contention, sysinfo(2)) is measured in docs/SANDBOX-CHANNELS.md.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

DEVICES = ("null", "zero", "full", "random", "urandom")
# Entries of /proc that stay visible: symlinks into the job's own process.
KEEP_PROC = frozenset({"self", "thread-self", "mounts", "net"})


@dataclass(frozen=True)
class ProcMasks:
    """The top-level /proc entries a job must not read, split by how they are covered."""

    files: tuple[str, ...]  # covered by /dev/null: they read as empty
    dirs: tuple[str, ...]  # covered by an empty read-only tmpfs


@functools.cache
def proc_masks() -> ProcMasks:
    """Every non-process entry of this kernel's /proc except `KEEP_PROC` (read once per process)."""
    files: list[str] = []
    dirs: list[str] = []
    for entry in sorted(os.scandir("/proc"), key=lambda e: e.name):
        if entry.name.isdigit() or entry.name in KEEP_PROC or entry.is_symlink():
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        (dirs if is_dir else files).append(entry.name)
    return ProcMasks(tuple(files), tuple(dirs))


def dev_args() -> list[str]:
    """bwrap arguments for a /dev of the harmless devices only (instead of `--dev`, which adds ptmx and devpts)."""
    args = ["--size", "65536", "--perms", "0755", "--tmpfs", "/dev"]
    for name in DEVICES:
        args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    args += ["--symlink", "/proc/self/fd", "/dev/fd"]
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        args += ["--symlink", f"/proc/self/fd/{number}", f"/dev/{name}"]
    return args


def proc_mask_args(masks: ProcMasks) -> list[str]:
    """bwrap arguments masking the global entries of the /proc mounted just before them."""
    args: list[str] = []
    for name in masks.files:
        args += ["--dev-bind", "/dev/null", f"/proc/{name}"]
    for name in masks.dirs:
        args += ["--size", "4096", "--perms", "0555", "--tmpfs", f"/proc/{name}"]
    for name in masks.dirs:
        args += ["--remount-ro", f"/proc/{name}"]
    return args
