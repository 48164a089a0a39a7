"""Backends under attack, and the checks that the host is unchanged after every attack."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import live_pids, processes_of_uids, suspicious_files

from grader.sandbox import BwrapSandbox, Sandbox, SandboxUnavailable, SlotBusy, ensure_sandbox, self_test
from grader.sandbox._prefork import PreforkSandbox

PROJECT = Path(__file__).resolve().parents[3]
BACKENDS = ["bwrap", "prefork"]  # the whole suite runs against each backend
SlotSandbox = BwrapSandbox | PreforkSandbox  # the two backends, each on a slot of this host
_STARTED: list[SlotSandbox] = []


def _unavailable(exc: SandboxUnavailable) -> None:
    if os.environ.get("CI"):
        raise exc
    pytest.skip(f"SANDBOX UNAVAILABLE, sandbox attack suite skipped: {exc}")


@pytest.fixture(scope="session", params=BACKENDS)
def sandbox_backend(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Each backend, self-tested through the real path (fails closed like the worker does)."""
    try:
        if request.param == "bwrap":
            yield ensure_sandbox(backend="cold")
            return
        backend = _free_slot(PreforkSandbox)
        report = self_test(backend)
        if not report.ok:
            backend.close()
            raise SandboxUnavailable(report.describe())
    except SandboxUnavailable as exc:
        _unavailable(exc)
        raise
    _STARTED.append(backend)
    with backend:  # its zygote ends with the session, before the host is checked
        yield backend


def _free_slot(kind: type[SlotSandbox], after: int = 0) -> SlotSandbox:
    for slot in range(after, 256):
        try:
            return kind(slot)
        except SlotBusy:
            continue
    raise SandboxUnavailable("no free sandbox slot")


@pytest.fixture(scope="session")
def second_backend(sandbox_backend: Sandbox) -> Iterator[Sandbox]:
    """Another slot of the same backend, for jobs running at the same time."""
    assert isinstance(sandbox_backend, BwrapSandbox | PreforkSandbox)
    with _free_slot(type(sandbox_backend), sandbox_backend.slot + 1) as other:
        yield other


@pytest.fixture(autouse=True)
def no_process_survives(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that ran jobs, nothing of the slot is left on the host."""
    yield
    for name in ("sandbox_backend", "second_backend"):
        if name in request.fixturenames:
            backend = request.getfixturevalue(name)
            assert not live_pids(backend), f"processes of {backend.describe()} survived the test"


@pytest.fixture(scope="session", autouse=True)
def host_is_unchanged() -> Iterator[None]:
    """After the whole suite: no mount left, no file of a slot uid in /tmp or the project, no slot process."""
    mounts = _host_mounts()
    roots = [Path("/tmp"), PROJECT]
    files = suspicious_files(roots)
    yield
    assert _host_mounts() == mounts
    assert suspicious_files(roots) - files == set()
    for backend in _used_backends():
        if not backend._slot.open and _OTHER_TEST_PROCESSES:
            continue  # a slot this process let go of may be another test process's now, with its jobs running
        # A pre-forked slot still in use keeps its zygote: that, and only that, may be alive.
        own = backend.live_pids() ^ backend._slot.pids() if isinstance(backend, PreforkSandbox) else set()
        left = processes_of_uids(range(backend.uid, backend.uid + 1)) - own
        assert not left, f"a process of slot uid {backend.uid} survived the suite"


# The suite may run in several processes at once (pytest-xdist): each takes its own slots, but a slot one
# process closes can be taken by another, and another may be running a container test.
_OTHER_TEST_PROCESSES = "PYTEST_XDIST_WORKER" in os.environ
_CONTAINER_MOUNTS = ("/var/lib/containers/", "/run/containers/", "/run/netns/", "/var/run/netns/")


def _host_mounts() -> list[str]:
    """This namespace's mounts; with other test processes about, less a container engine's own (its image
    layers and network namespaces come and go with another process's container test)."""
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    if not _OTHER_TEST_PROCESSES:
        return lines
    return [line for line in lines if not line.split()[4].startswith(_CONTAINER_MOUNTS)]


def _used_backends() -> list[SlotSandbox]:
    from grader.sandbox.slots import _ENSURED

    return [b for b in _ENSURED.values() if isinstance(b, BwrapSandbox | PreforkSandbox)] + _STARTED


@pytest.fixture()
def tcp_listener() -> Iterator[tuple[str, int]]:
    """A real TCP listener on the host's loopback (as the database or Redis would be); fails if reached."""
    server = socket.create_server(("127.0.0.1", 0))
    yield from _serve(server)


@pytest.fixture()
def tcp6_listener() -> Iterator[tuple[str, int]]:
    server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    yield from _serve(server)


def _serve(server: socket.socket) -> Iterator[tuple[str, int]]:
    server.settimeout(0.05)
    reached: list[bool] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                server.accept()[0].close()
                reached.append(True)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        host, port = server.getsockname()[:2]
        yield host, port
    finally:
        stop.set()
        thread.join()
        server.close()
    assert not reached, "a sandboxed job connected to a listener on the host"
