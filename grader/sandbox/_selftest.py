"""The fail-closed self-test: the real path must isolate, or nothing is graded."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox._command import ENVIRONMENT
from grader.sandbox._probe import PROBE
from grader.sandbox._types import CollectingMonitor, Job, Limits, Sandbox, SandboxUnavailable

_log = logging.getLogger(__name__)
_SOURCE = Path(__file__).resolve()
_PROJECT = _SOURCE.parents[2]
_LIMITS = Limits(wall_seconds=20, cpu_seconds=20, memory_bytes=768 * 1024 * 1024)


@dataclass
class SelfTestReport:
    """The checks the self-test ran and whether each passed."""

    backend: str
    checks: dict[str, bool] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]

    def describe(self) -> str:
        lines = [f"sandbox: {self.backend}"]
        for name, ok in self.checks.items():
            extra = f" ({self.details[name]})" if name in self.details else ""
            lines.append(f"  [{'ok' if ok else 'FAIL'}] {name}{extra}")
        lines.append("self-test passed" if self.ok else "self-test FAILED: refusing to grade")
        return "\n".join(lines)


class _HostSideMonitor(CollectingMonitor):
    """Collects the probe's report and, while the probe waits, looks at it from the host."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.host_uids: list[list[int]] | None = None

    def feed(self, data: bytes) -> None:
        if self.host_uids is None and data.startswith(b"R"):
            self.host_uids = _host_uids(self.sandbox)
            data = data[1:]
        super().feed(data)


def self_test(sandbox: Sandbox) -> SelfTestReport:
    """Run the probe through `sandbox` with fresh canaries planted around it."""
    report = SelfTestReport(backend=sandbox.describe())
    canary = "gradelab-canary-" + secrets.token_hex(8)
    monitor = _HostSideMonitor(sandbox)
    with _canaries(canary) as (paths, port):
        job = Job(
            files={"probe.py": PROBE.encode()},
            entry="probe.py",
            args=(canary, str(port), ",".join(ENVIRONMENT), *paths),
        )
        outcome = sandbox.run(job, _LIMITS, monitor)
    try:
        result = json.loads(monitor.data or b"{}")
    except ValueError:
        result = {}
    for name, value in result.items() if isinstance(result, dict) else ():
        if name.endswith(":error"):
            report.details[name.removesuffix(":error")] = str(value)
        else:
            report.checks[name] = value is True
    _host_checks(report, monitor.host_uids)
    _tree_caps_check(report, sandbox)
    if len(report.checks) <= 1:
        report.checks["probe ran"] = False
        report.details["probe ran"] = outcome.stderr.decode("utf-8", "replace")[-800:].strip()
    return report


def _host_checks(report: SelfTestReport, host_uids: list[list[int]] | None) -> None:
    name = "job runs unprivileged as seen from the host"
    if os.geteuid() != 0:
        report.checks[name] = True
        report.details[name] = "started by a non-root user"
    elif not host_uids:
        report.checks[name] = False
        report.details[name] = "no process of the sandbox was found on the host while the probe ran"
    else:
        report.checks[name] = all(0 not in uids for uids in host_uids)
        report.details[name] = f"{len(host_uids)} process(es), uids {sorted({u for us in host_uids for u in us})}"


UNSAFE_NO_CGROUP = "GRADELAB_UNSAFE_SANDBOX_WITHOUT_CGROUP"


def _tree_caps_check(report: SelfTestReport, sandbox: Sandbox) -> None:
    """Without a cgroup a job's processes share no memory or process cap: refused unless explicitly allowed."""
    name = "tree-wide memory and process caps (cgroup)"
    if sandbox.cgroup_active:
        report.checks[name] = True
        report.details[name] = sandbox.cgroup_status
        return
    why = sandbox.cgroup_status
    if os.environ.get(UNSAFE_NO_CGROUP) == "1":
        report.checks[name] = True
        report.details[name] = f"UNSAFE, allowed by {UNSAFE_NO_CGROUP}=1 for development only: {why}"
        _log.warning("sandbox without a cgroup: one job's processes together may exceed its memory limit (%s)", why)
        return
    report.checks[name] = False
    report.details[name] = (
        f"{why}. Run the service as root (cgroup v1) or give it a delegated cgroup v2 subtree with the memory "
        f"and pids controllers; on a development machine only, set {UNSAFE_NO_CGROUP}=1 to grade without"
    )


def _host_uids(sandbox: Sandbox) -> list[list[int]]:
    uids = []
    for pid in sorted(sandbox.live_pids()):
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            uids.append([int(v) for line in lines if line.startswith(("Uid:", "Gid:")) for v in line.split()[1:]])
    return uids


@contextlib.contextmanager
def _canaries(canary: str) -> Iterator[tuple[list[str], int]]:
    """An env canary, canary files in a temp dir and in the project, and a live TCP listener."""
    os.environ["GRADELAB_SELFTEST_CANARY"] = canary
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    reached: list[bool] = []

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                listener.accept()[0].close()
                reached.append(True)

    thread = threading.Thread(target=accept, name="gradelab-selftest-listener", daemon=True)
    thread.start()
    project_file = _PROJECT / f".{canary}"
    try:
        with tempfile.TemporaryDirectory(prefix="gradelab-canary-") as folder:
            temp_file = Path(folder) / f"{canary}.txt"
            temp_file.write_text(canary)
            paths = [str(temp_file), str(_SOURCE)]
            with contextlib.suppress(OSError):
                project_file.write_text(canary)
                paths.append(str(project_file))
            yield paths, listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
        os.environ.pop("GRADELAB_SELFTEST_CANARY", None)
        with contextlib.suppress(OSError):  # a read-only project folder: it was never written
            project_file.unlink(missing_ok=True)
    if reached:
        raise SandboxUnavailable("self-test: a sandboxed probe connected to a listener on the host's loopback")
