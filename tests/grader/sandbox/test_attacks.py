"""The attack suite of SANDBOX.md, driven through the real sandbox with hostile jobs."""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import CollectingMonitor, KillReason, Limits, Outcome, Sandbox
from grader.sandbox._bwrap import _pids_of_uid

FAST = Limits(wall_seconds=8, cpu_seconds=8, memory_bytes=512 * 1024 * 1024, processes=16, stdout_bytes=4096)


def run(sandbox: Sandbox, source: str, limits: Limits = FAST, args: tuple[str, ...] = ()) -> tuple[Outcome, bytes]:
    from grader.sandbox import Job

    monitor = CollectingMonitor()
    job = Job(files={"attack.py": textwrap.dedent(source).encode()}, entry="attack.py", args=args)
    outcome = sandbox.run(job, limits, monitor)
    return outcome, monitor.data


@pytest.fixture()
def listener() -> Iterator[int]:
    """A real TCP listener on the host's loopback, as a database or Redis would be."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    server.settimeout(0.2)

    def accept() -> None:
        while server.fileno() != -1:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                if server.fileno() == -1:
                    return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    thread.join(2)
    assert not accepted, "a sandboxed job connected to the host"
    for conn in accepted:
        conn.close()


@pytest.mark.parametrize(
    "target",
    [
        "socket.create_connection(('127.0.0.1', PORT), timeout=1)",
        "socket.create_connection(('1.1.1.1', 53), timeout=1)",
        "socket.getaddrinfo('example.com', 80)",
        "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)",
        "socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
        "socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)",
    ],
)
def test_network_is_unreachable(sandbox: Sandbox, listener: int, target: str) -> None:
    outcome, data = run(
        sandbox,
        f"""
        import os, socket
        try:
            {target.replace("PORT", str(listener))}
            os.write(3, b'reached')
        except OSError as exc:
            os.write(3, b'blocked')
    """,
    )
    assert data == b"blocked", outcome.stderr


def test_abstract_unix_socket_on_the_host_is_unreachable(sandbox: Sandbox) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind("\0gradelab-attack-test")
    server.listen()
    try:
        _, data = run(
            sandbox,
            """
            import os, socket
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect('\\0gradelab-attack-test'); os.write(3, b'reached')
            except OSError:
                os.write(3, b'blocked')
        """,
        )
    finally:
        server.close()
    assert data == b"blocked"


def test_secrets_in_environment_files_and_memory_are_out_of_reach(sandbox: Sandbox, tmp_path: Path) -> None:
    canary = "gradelab-canary-" + os.urandom(6).hex()
    os.environ["GRADELAB_ATTACK_CANARY"] = canary
    (tmp_path / "grader.db").write_text(canary)
    (tmp_path / "reference.py").write_text(f"SECRET = {canary!r}")
    try:
        outcome, data = run(
            sandbox,
            f"""
            import gc, os
            hits = []
            needle = {canary!r}.encode()
            paths = ['/proc/1/environ', '/proc/1/cmdline', '/proc/self/environ', '/proc/2/environ']
            for root, dirs, names in os.walk('/'):
                dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('/sys', '/proc', '/dev')]
                paths += [os.path.join(root, name) for name in names]
            for path in paths:
                try:
                    with open(path, 'rb') as fh:
                        if needle in fh.read(1 << 20) and path != '/job/attack.py':
                            hits.append(path)
                except OSError:
                    pass
            hits += [k for k, v in os.environ.items() if needle.decode() in v]
            hits += ['gc' for o in gc.get_objects() if isinstance(o, str) and needle.decode() in o]
            for p in ({str(tmp_path / "grader.db")!r}, {str(tmp_path / "reference.py")!r}):
                hits += [p] if os.path.exists(p) else []
            os.write(3, repr(hits).encode())
        """,
            Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=512 * 1024 * 1024),
        )
    finally:
        os.environ.pop("GRADELAB_ATTACK_CANARY")
    assert data == b"[]", (data, outcome.stderr[-500:])


@pytest.mark.parametrize("path", ["sys.prefix", "sys.base_prefix", "'/usr/lib'", "'/'", "'/tmp'", "'/proc/sys/kernel'"])
def test_writes_outside_the_job_directory_fail(sandbox: Sandbox, path: str) -> None:
    _, data = run(
        sandbox,
        f"""
        import os, sys
        try:
            open(os.path.join({path}, 'gradelab-evil.pth'), 'w').write('import evil')
            os.write(3, b'wrote')
        except OSError:
            os.write(3, b'denied')
    """,
    )
    assert data == b"denied"


def test_nothing_persists_into_the_next_job_of_the_same_slot(sandbox: Sandbox) -> None:
    run(sandbox, "open('/job/sitecustomize.py', 'w').write('import os; os.write(3, b\"persisted\")')\n")
    _, data = run(
        sandbox, "import os\nos.write(3, b'clean' if not os.path.exists('/job/sitecustomize.py') else b'x')\n"
    )
    assert data == b"clean"


@pytest.mark.parametrize(
    ("source", "expect"),
    [
        ("open('/job/big', 'wb').write(b'x' * (200 * 1024 * 1024))", "OSError"),
        ("[open(f'/job/f{i}', 'w').close() for i in range(100000)]", "OSError"),
        ("x = bytearray(4 * 1024 * 1024 * 1024)", "MemoryError"),
    ],
)
def test_disk_inodes_and_memory_are_capped(sandbox: Sandbox, source: str, expect: str) -> None:
    outcome, _ = run(sandbox, source)
    assert expect in outcome.stderr.decode(), outcome.stderr[-400:]


def test_a_fork_bomb_is_contained(sandbox: Sandbox) -> None:
    started = time.monotonic()
    outcome, _ = run(
        sandbox,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """,
        Limits(wall_seconds=3, cpu_seconds=3, processes=16),
    )
    assert outcome.killed is KillReason.WALL_TIME
    assert time.monotonic() - started < 10
    assert not _pids_of_uid(sandbox.uid)  # type: ignore[attr-defined]


def test_a_cpu_spin_ignoring_signals_is_killed_at_the_deadline(sandbox: Sandbox) -> None:
    outcome, _ = run(
        sandbox,
        """
        import signal
        for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
    """,
        Limits(wall_seconds=2, cpu_seconds=30),
    )
    assert outcome.killed is KillReason.WALL_TIME
    assert not _pids_of_uid(sandbox.uid)  # type: ignore[attr-defined]


def test_stdin_is_empty_and_a_read_does_not_block(sandbox: Sandbox) -> None:
    _, data = run(sandbox, "import os, sys\nos.write(3, repr(sys.stdin.read()).encode())\n")
    assert data == b"''"


def test_an_output_flood_is_cut_and_the_job_killed(sandbox: Sandbox) -> None:
    outcome, _ = run(sandbox, "while True:\n    print('x' * 100000)\n")
    assert outcome.killed is KillReason.STDOUT_OVERFLOW
    assert len(outcome.stdout) <= FAST.stdout_bytes and outcome.stdout_truncated


def test_a_setsid_daemon_dies_with_its_job(sandbox: Sandbox, tmp_path: Path) -> None:
    outcome, _ = run(
        sandbox,
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(3)
                open('/job/marker', 'w').write('alive')
                os._exit(0)
            os._exit(0)
        os.write(3, b'parent done')
    """,
    )
    time.sleep(0.5)
    assert not _pids_of_uid(sandbox.uid)  # type: ignore[attr-defined]
    assert outcome.exit_code == 0


@pytest.mark.parametrize("victim", ["os.getppid()", "1", "-1"])
def test_killing_the_parent_init_or_everything_ends_only_the_job(sandbox: Sandbox, victim: str) -> None:
    # The namespace's init ignores SIGKILL from inside: at worst the job runs to its own wall limit.
    outcome, _ = run(sandbox, f"import os, signal\nos.kill({victim}, signal.SIGKILL)\nimport time\ntime.sleep(30)\n")
    assert outcome.wall_seconds < FAST.wall_seconds + 2
    assert not _pids_of_uid(sandbox.uid)  # type: ignore[attr-defined]
    assert os.getpid() > 1  # the host is still here


def test_a_grandchild_holding_stdout_does_not_hang_the_supervisor(sandbox: Sandbox) -> None:
    started = time.monotonic()
    run(sandbox, "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nos._exit(0)\n")
    assert time.monotonic() - started < 8


def test_dangerous_syscalls_are_refused(sandbox: Sandbox) -> None:
    _, data = run(
        sandbox,
        """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        results = [libc.unshare(0x10000000), libc.ptrace(16, 1, 0, 0), libc.mount(b'none', b'/job', b'tmpfs', 0, None)]
        os.write(3, repr(results).encode())
    """,
    )
    assert data == b"[-1, -1, -1]"
