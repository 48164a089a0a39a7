"""Check kits on the service side: built once per version and seed key, and a download without a sandbox."""

from __future__ import annotations

from structlog.testing import capture_logs

from app.problems.kits import CheckKits
from grader.bundle import Bundle
from grader.grading import ReferenceCache
from grader.sandbox import Sandbox, SandboxUnavailable

KEY = b"the seed key of a deployment, 32+"


def test_a_kit_is_built_once_per_version_and_seed_key(toy_layers: Bundle, sandbox: Sandbox) -> None:
    kits = CheckKits(ReferenceCache(), "auto")
    taken: list[Sandbox] = []

    def acquire() -> Sandbox:
        taken.append(sandbox)
        return sandbox

    kits.acquire = acquire
    first = kits.get(1, toy_layers, KEY)
    assert first is not None and "check.py" in first
    assert kits.get(1, toy_layers, KEY) is first
    other = kits.get(1, toy_layers, KEY + b"!")
    assert other is not None and other is not first
    assert other["_gradelab_check/kit.npz"] != first["_gradelab_check/kit.npz"]
    assert len(taken) == 1  # one sandbox of its own, taken at the first build


def test_without_a_sandbox_the_download_has_no_kit_and_the_log_says_why(toy_layers: Bundle) -> None:
    kits = CheckKits(ReferenceCache(), "auto")

    def unavailable() -> Sandbox:
        raise SandboxUnavailable("bubblewrap is not installed")

    kits.acquire = unavailable
    with capture_logs() as logs:
        assert kits.get(1, toy_layers, KEY) is None
    assert [(e["event"], e["problem"], e["error"]) for e in logs] == [
        ("check_kit_unavailable", "toy-layers", "bubblewrap is not installed")
    ]
