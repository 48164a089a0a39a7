"""The self-test's probe: runs inside the sandbox and reports what it could (not) do.

Arguments: the canary string, the port of a live listener on the host's loopback, the
names of the fixed environment (comma-separated), then paths of canary files on the
host. It writes `R` to the channel, waits a moment so the host can look at it from
outside, then writes a JSON object of check name -> bool (and, for a check that raised,
`<name>:error` -> the exception's repr, at most 200 characters).
"""

import ctypes
import json
import os
import socket
import sys
import time

TYPE_CHECKING = False  # the probe loads only what it checks with
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def check(checks: "dict[str, Any]", name: str, fn: "Callable[[], object]") -> None:
    try:
        checks[name] = bool(fn())
    except Exception as exc:
        checks[name] = False
        checks[name + ":error"] = repr(exc)[:200]


def fails(fn: "Callable[..., object]", *args: "Any") -> bool:
    try:
        fn(*args)
    except OSError:
        return True
    return False


def numpy_works() -> bool:
    import numpy as np

    return float(np.linalg.norm(np.eye(3))) > 1.7 and np.__file__.startswith(sys.prefix)


def tcp_blocked(port: int) -> bool:
    def connect() -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(("127.0.0.1", port))

    return fails(connect)


def udp_blocked() -> bool:
    def send() -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", ("1.1.1.1", 53))

    return fails(send)


def env_clean(canary: str) -> bool:
    blob = open("/proc/self/environ", "rb").read() + open("/proc/1/environ", "rb").read()  # noqa: SIM115
    return canary.encode() not in blob and all(canary not in v for v in os.environ.values())


def fixed_environment(blob: bytes, fixed: list[str]) -> bool:
    names = {item.split(b"=", 1)[0] for item in blob.split(b"\0") if item}
    return names <= {name.encode() for name in fixed} | {b"PWD"}


def unwritable(folder: str) -> bool:
    return fails(lambda: open(os.path.join(folder, "gradelab-write-probe"), "xb").close())


def status() -> dict[str, str]:
    lines = open("/proc/self/status").read().splitlines()  # noqa: SIM115
    return dict(line.split(":", 1) for line in lines if ":" in line)


def unprivileged() -> bool:
    ids = os.getresuid() + os.getresgid()
    return 0 not in ids and int(status()["CapEff"].strip(), 16) == 0


def syscalls_filtered() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return status()["Seccomp"].strip() == "2" and libc.unshare(0x10000000) == -1


def no_terminals() -> bool:
    absent = not any(os.path.exists(p) for p in ("/dev/ptmx", "/dev/pts", "/dev/tty"))
    return absent and fails(os.open, "/dev/ptmx", os.O_RDWR)


def counter(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def counters_masked() -> bool:
    paths = ("/proc/loadavg", "/proc/stat", "/proc/sys/kernel/pty/nr", "/proc/sys/fs/file-nr")
    return not any(counter(p) for p in paths)


def probe(argv: list[str]) -> "dict[str, Any]":
    canary, port, fixed, paths = argv[1], int(argv[2]), argv[3].split(","), argv[4:]
    checks: dict[str, Any] = {}
    check(checks, "numpy works", numpy_works)
    check(checks, "TCP to a listener on the host's loopback fails", lambda: tcp_blocked(port))
    check(checks, "UDP to the outside fails", udp_blocked)
    check(checks, "environment canary is absent", lambda: env_clean(canary))
    check(
        checks,
        "pid 1 sees only the fixed environment",
        lambda: fixed_environment(open("/proc/1/environ", "rb").read(), fixed),  # noqa: SIM115
    )
    for path in paths:
        check(checks, f"host file {path} is unreachable", lambda: fails(open, path, "rb"))  # noqa: B023
    check(checks, "runtime is read-only", lambda: unwritable(sys.base_prefix) and unwritable(sys.prefix))
    check(checks, "site-packages is read-only", lambda: all(unwritable(p) for p in sys.path[1:] if os.path.isdir(p)))
    check(checks, "root and /dev are read-only", lambda: unwritable("/") and unwritable("/dev"))
    check(checks, "uid and gid are unprivileged, no capabilities", unprivileged)
    check(checks, "no new privileges", lambda: status()["NoNewPrivs"].strip() == "1")
    check(checks, "seccomp filter is active", syscalls_filtered)
    check(checks, "no pseudo-terminals (/dev/ptmx, devpts)", no_terminals)
    check(checks, "the kernel's global counters in /proc are masked", counters_masked)
    return checks


if __name__ == "__main__":
    os.write(3, b"R")
    time.sleep(0.3)
    os.write(3, json.dumps(probe(sys.argv)).encode())
