"""Code that runs inside the sandbox (copied in as files; imports only NumPy)."""

from __future__ import annotations

from importlib import resources

_FILES: dict[str, bytes] = {}
# The parts of the harness it imports from the job's lib/ (next to wire and gradelib).
LIB_MODULES = ("harness_state", "harness_runner", "harness_relay")
# Names a problem's support files cannot have: the job's own modules would shadow them, or they these.
RESERVED_NAMES = frozenset(
    {"driver.py", "harness.py", "wire.py", "gradelib.py", *(f"{name}.py" for name in LIB_MODULES)}
)


def harness_files() -> dict[str, bytes]:
    """Our own files every grading job carries, by their path in the job (read once per process).

    The pre-forked sandbox also loads them into its zygote ahead of any job, so a job that carries
    them byte for byte does not compile or import them again.
    """
    if not _FILES:
        pkg = resources.files("grader._harness")
        _FILES["harness.py"] = pkg.joinpath("harness.py").read_bytes()
        _FILES["lib/wire.py"] = pkg.joinpath("wire.py").read_bytes()
        for name in LIB_MODULES:
            _FILES[f"lib/{name}.py"] = pkg.joinpath(f"{name}.py").read_bytes()
        _FILES["lib/gradelib.py"] = pkg.joinpath("gradelib.py").read_bytes()
    return dict(_FILES)
