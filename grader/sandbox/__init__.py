"""Running untrusted code in isolation. The app never imports the private modules."""

from grader.sandbox._bwrap import BwrapSandbox, SlotBusy
from grader.sandbox._command import ENVIRONMENT, StartMode
from grader.sandbox._prefork import PreforkSandbox
from grader.sandbox._selftest import SelfTestReport, self_test
from grader.sandbox._types import (
    Attachment,
    CollectingMonitor,
    Job,
    KillReason,
    Limits,
    Monitor,
    Outcome,
    Sandbox,
    SandboxUnavailable,
)
from grader.sandbox.slots import BACKENDS, acquire_sandboxes, default_sandbox, ensure_sandbox, open_slot

__all__ = [
    "BACKENDS",
    "ENVIRONMENT",
    "Attachment",
    "BwrapSandbox",
    "CollectingMonitor",
    "Job",
    "KillReason",
    "Limits",
    "Monitor",
    "Outcome",
    "PreforkSandbox",
    "Sandbox",
    "SandboxUnavailable",
    "SelfTestReport",
    "SlotBusy",
    "StartMode",
    "acquire_sandboxes",
    "default_sandbox",
    "ensure_sandbox",
    "open_slot",
    "self_test",
]
