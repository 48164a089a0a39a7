"""Handing out sandboxes: one self-tested slot, N of them, or one shared per process.

Every way of getting a sandbox goes through `open_slot`, which fails closed: a backend whose
self-test does not pass is never handed out. `preload` are files the pre-forked backend
compiles into its zygote ahead of any job (grading hands in its harness, see
`grader.grading.sandbox_preload`); the sandbox itself knows nothing of what they are.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Mapping

from grader.sandbox._bwrap import BwrapSandbox
from grader.sandbox._prefork import PreforkSandbox
from grader.sandbox._selftest import self_test
from grader.sandbox._slot import MAX_SLOTS, SlotBusy
from grader.sandbox._types import Sandbox, SandboxUnavailable

BACKENDS = ("auto", "prefork", "cold")

Preload = Mapping[str, bytes]


def _make(kind: str, slot: int, preload: Preload | None) -> Sandbox:
    if kind == PreforkSandbox.name:
        return PreforkSandbox(slot, preload=preload)
    return BwrapSandbox(slot)


def open_slot(slot: int, backend: str = "auto", preload: Preload | None = None) -> Sandbox:
    """A self-tested sandbox on `slot`: the pre-forked backend where its self-test passes, else the cold one.

    `backend` forces one ("prefork" or "cold"). Raises SlotBusy, or SandboxUnavailable when no backend
    passes its self-test (failing closed).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown sandbox backend {backend!r}: use one of {', '.join(BACKENDS)}")
    choices = {
        "auto": [PreforkSandbox.name, BwrapSandbox.name],
        "prefork": [PreforkSandbox.name],
        "cold": [BwrapSandbox.name],
    }
    failures = []
    for kind in choices[backend]:
        sandbox = _make(kind, slot, preload)
        try:
            report = self_test(sandbox)
        except SandboxUnavailable as exc:
            sandbox.close()
            failures.append(f"{kind}: {exc}")
            continue
        if report.ok:
            return sandbox
        sandbox.close()
        failures.append(f"{kind}: self-test failed ({', '.join(report.failed)})\n{report.describe()}")
    raise SandboxUnavailable("refusing to run untrusted code: " + "; ".join(failures))


def acquire_sandboxes(count: int, backend: str = "auto", preload: Preload | None = None) -> list[Sandbox]:
    """`count` distinct self-tested slots, the first free ones on this host (see `open_slot`)."""
    found: list[Sandbox] = []
    slot = 0
    try:
        while len(found) < count:
            try:
                found.append(open_slot(slot, backend, preload))
            except SlotBusy:
                pass
            except ValueError:
                raise SandboxUnavailable(f"fewer than {count} sandbox slots are free on this host") from None
            slot += 1
    except BaseException:
        for taken in found:
            taken.close()
        raise
    return found


_ENSURED: dict[tuple[int | None, str], Sandbox] = {}
_ENSURE_LOCK = threading.Lock()


@atexit.register
def _close_ensured() -> None:
    """Shared sandboxes end with the process (a pre-forked one stops its zygote)."""
    for sandbox in _ENSURED.values():
        with contextlib.suppress(Exception):
            sandbox.close()


def ensure_sandbox(slot: int | None = None, backend: str = "auto", preload: Preload | None = None) -> Sandbox:
    """The process's shared self-tested sandbox on `slot` (or the first free slot) and `backend`.

    Opened on first use (with the first caller's `preload`) and closed when the process ends;
    raises SandboxUnavailable, failing closed.
    """
    with _ENSURE_LOCK:
        if (slot, backend) in _ENSURED:
            return _ENSURED[(slot, backend)]
        for candidate in [slot] if slot is not None else range(MAX_SLOTS):
            try:
                sandbox = open_slot(candidate, backend, preload)
                break
            except SlotBusy:
                if slot is not None:
                    raise
        else:
            raise SandboxUnavailable("every sandbox slot on this host is in use")
        _ENSURED[(slot, backend)] = sandbox
        return sandbox


default_sandbox = ensure_sandbox
