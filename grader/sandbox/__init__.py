"""Running untrusted code in isolation. The app never imports the private modules."""

from grader.sandbox._bwrap import BwrapSandbox
from grader.sandbox._selftest import SelfTestReport, default_sandbox, self_test
from grader.sandbox._types import (
    CollectingMonitor,
    Job,
    KillReason,
    Limits,
    Monitor,
    Outcome,
    Sandbox,
    SandboxUnavailable,
)

__all__ = [
    "BwrapSandbox",
    "CollectingMonitor",
    "Job",
    "KillReason",
    "Limits",
    "Monitor",
    "Outcome",
    "Sandbox",
    "SandboxUnavailable",
    "SelfTestReport",
    "default_sandbox",
    "self_test",
]
