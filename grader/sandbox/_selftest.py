"""The fail-closed self-test: the real path must isolate, or nothing is graded."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox._types import CollectingMonitor, Job, Limits, Sandbox, SandboxUnavailable

_PROBE = r"""
import json, os, socket, sys
checks = {}
def check(name, fn):
    try:
        checks[name] = bool(fn())
    except Exception as exc:
        checks[name] = False
        checks[name + ":error"] = repr(exc)[:200]
def numpy_works():
    import numpy as np
    return float(np.linalg.norm(np.eye(3))) > 1.7
def tcp_blocked():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return True
    try:
        s.settimeout(1)
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        return True
    return False
def unreadable(path):
    try:
        open(path, "rb").read()
    except OSError:
        return True
    return False
def unwritable(folder):
    try:
        open(os.path.join(folder, "gradelab-write-probe"), "wb").write(b"x")
    except OSError:
        return True
    return False
check("numpy works", numpy_works)
check("network is unreachable", tcp_blocked)
check("environment canary is absent", lambda: all(sys.argv[2] not in v for v in os.environ.values()))
check("canary file is unreachable", lambda: unreadable(sys.argv[3]))
check("runtime is read-only", lambda: unwritable(sys.prefix) and unwritable(sys.base_prefix))
check("uid is unprivileged", lambda: os.getuid() != 0 and os.geteuid() != 0 and os.getgid() != 0)
check("init environment is empty", lambda: open("/proc/1/environ", "rb").read() == b"")
check("root is read-only", lambda: unwritable("/"))
os.write(3, json.dumps(checks).encode())
"""


@dataclass
class SelfTestReport:
    """The checks the self-test ran and whether each passed."""

    backend: str
    checks: dict[str, bool] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    def describe(self) -> str:
        lines = [f"sandbox: {self.backend}"]
        for name, ok in self.checks.items():
            extra = f" ({self.details[name]})" if name in self.details else ""
            lines.append(f"  [{'ok' if ok else 'FAIL'}] {name}{extra}")
        lines.append("self-test passed" if self.ok else "self-test FAILED: refusing to grade")
        return "\n".join(lines)


def self_test(sandbox: Sandbox) -> SelfTestReport:
    """Run the probe through `sandbox` with fresh canaries planted around it."""
    describe = getattr(sandbox, "describe", None)
    report = SelfTestReport(backend=describe() if callable(describe) else sandbox.name)
    canary = "gradelab-canary-" + secrets.token_hex(8)
    os.environ["GRADELAB_SELFTEST_CANARY"] = canary
    try:
        with tempfile.TemporaryDirectory(prefix="gradelab-canary-") as folder:
            secret = Path(folder) / "secret.txt"
            secret.write_text(canary)
            job = Job(files={"probe.py": _PROBE.encode()}, entry="probe.py", args=("5432", canary, str(secret)))
            monitor = CollectingMonitor()
            outcome = sandbox.run(job, Limits(wall_seconds=20, cpu_seconds=20), monitor)
    finally:
        os.environ.pop("GRADELAB_SELFTEST_CANARY", None)
    try:
        result = json.loads(monitor.data or b"{}")
    except ValueError:
        result = {}
    for name, value in result.items():
        if name.endswith(":error"):
            report.details[name[: -len(":error")]] = str(value)
        else:
            report.checks[name] = bool(value)
    if not report.checks:
        report.checks["probe ran"] = False
        report.details["probe ran"] = outcome.stderr.decode("utf-8", "replace")[-800:].strip()
    return report


_DEFAULT: dict[str, Sandbox] = {}


def default_sandbox(slot: int | None = None) -> Sandbox:
    """The best sandbox this machine offers (the first free slot), self-tested; fails closed."""
    key = str(slot)
    if key in _DEFAULT:
        return _DEFAULT[key]
    from grader.sandbox._bwrap import BwrapSandbox, SlotBusy

    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable("the sandbox needs Linux (namespaces, seccomp, bubblewrap)")
    sandbox: Sandbox | None = None
    for candidate in [slot] if slot is not None else range(256):
        try:
            sandbox = BwrapSandbox(candidate if candidate is not None else 0)
            break
        except SlotBusy:
            continue
    if sandbox is None:
        raise SandboxUnavailable("every sandbox slot on this host is in use")
    report = self_test(sandbox)
    if not report.ok:
        raise SandboxUnavailable("self-test failed:\n" + report.describe())
    _DEFAULT[key] = sandbox
    return sandbox
