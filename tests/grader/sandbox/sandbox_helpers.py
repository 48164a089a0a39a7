"""Running small hostile scripts through a sandbox backend, and looking at the host around it."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from pathlib import Path

from grader.sandbox import CollectingMonitor, Job, Limits, Monitor, Outcome, Sandbox

MiB = 1024 * 1024
FAST = Limits(
    wall_seconds=5,
    cpu_seconds=5,
    memory_bytes=512 * MiB,
    processes=16,
    open_files=64,
    file_size_bytes=8 * MiB,
    tmpfs_bytes=16 * MiB,
    tmpfs_inodes=256,
    stdout_bytes=4096,
    stderr_bytes=16384,
    channel_bytes=64 * 1024,
)
SLOT_UIDS = range(61000, 61256)
ATTACK_MARK = "gradelab-attack"


def run_job(
    sandbox: Sandbox,
    source: str,
    limits: Limits = FAST,
    *,
    args: tuple[str, ...] = (),
    files: Mapping[str, bytes] | None = None,
    monitor: Monitor | None = None,
) -> tuple[Outcome, bytes]:
    """Run `source` (dedented) as the job's entry script; the outcome and the channel's bytes."""
    collecting = CollectingMonitor()
    job = Job(files={**(files or {}), "attack.py": textwrap.dedent(source).encode()}, entry="attack.py", args=args)
    outcome = sandbox.run(job, limits, monitor or collecting)
    return outcome, collecting.data


def live_pids(sandbox: Sandbox) -> set[int]:
    """Processes of the backend's slot still alive on the host."""
    return sandbox.live_pids()


def processes_of_uids(uids: range) -> set[int]:
    """Live (non-zombie) processes on the host whose real or effective uid is in `uids`."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        state = fields.get("State", " ?").split()[0]
        if state not in ("Z", "X") and any(int(u) in uids for u in fields.get("Uid", "").split()):
            found.add(int(entry))
    return found


def suspicious_files(roots: list[Path], skip: tuple[str, ...] = (".git", ".venv", "node_modules")) -> set[str]:
    """Files under `roots` owned by a slot uid or named like an attack's output."""
    found = set()
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in skip]
            for name in [*dirs, *names]:
                path = os.path.join(folder, name)
                try:
                    owner = os.lstat(path).st_uid
                except OSError:
                    continue
                if owner in SLOT_UIDS or ATTACK_MARK in name:
                    found.add(path)
    return found
