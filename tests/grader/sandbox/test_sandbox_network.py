"""Attack family "Network": nothing inside a sandbox reaches any network, host or outside."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from sandbox_helpers import run_job

from grader.sandbox import Sandbox

TRY = """
import ctypes, os, socket
try:
    {attempt}
    os.write(3, b"reached")
except OSError as exc:
    os.write(3, b"blocked")
"""


@pytest.mark.parametrize(
    "attempt",
    [
        "socket.create_connection(('1.1.1.1', 443), timeout=1)",
        "socket.create_connection(('8.8.8.8', 53), timeout=1)",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53))",
        "socket.getaddrinfo('example.com', 80)",
        "socket.socket(socket.AF_INET6, socket.SOCK_STREAM).connect(('2606:4700::1111', 443))",
        "socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)",
        "socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
        "socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)",
        "socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)",
    ],
    ids=["tcp-outside", "tcp-dns-server", "udp-outside", "dns-lookup", "tcp6-outside", "raw-icmp", "packet", "netlink",
         "vsock"],
)  # fmt: skip
def test_outside_network_is_unreachable(sandbox_backend: Sandbox, attempt: str) -> None:
    outcome, data = run_job(sandbox_backend, TRY.format(attempt=attempt))
    assert data == b"blocked", outcome.stderr


@pytest.mark.parametrize("family", ["AF_INET", "AF_INET6", "AF_PACKET", "AF_NETLINK"])
def test_raw_sockets_through_ctypes_are_refused(sandbox_backend: Sandbox, family: str) -> None:
    outcome, data = run_job(
        sandbox_backend,
        f"""
        import ctypes, json, os, socket
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.socket(socket.{family}, socket.SOCK_RAW, 3)
        os.write(3, json.dumps([fd, ctypes.get_errno()]).encode())
        """,
    )
    fd, err = json.loads(data)
    assert fd == -1 and err != 0, outcome.stderr


def test_a_real_listener_on_the_host_loopback_is_unreachable(
    sandbox_backend: Sandbox, tcp_listener: tuple[str, int]
) -> None:
    attempt = f"socket.create_connection(('127.0.0.1', {tcp_listener[1]}), timeout=1)"
    outcome, data = run_job(sandbox_backend, TRY.format(attempt=attempt))
    assert data == b"blocked", outcome.stderr


def test_a_real_ipv6_listener_on_the_host_loopback_is_unreachable(
    sandbox_backend: Sandbox, tcp6_listener: tuple[str, int]
) -> None:
    attempt = f"socket.create_connection(('::1', {tcp6_listener[1]}), timeout=1)"
    outcome, data = run_job(sandbox_backend, TRY.format(attempt=attempt))
    assert data == b"blocked", outcome.stderr


@pytest.mark.parametrize("port", [5432, 6379, 8000, 22])
def test_well_known_service_ports_on_loopback_are_unreachable(sandbox_backend: Sandbox, port: int) -> None:
    outcome, data = run_job(sandbox_backend, TRY.format(attempt=f"socket.create_connection(('127.0.0.1', {port}), 1)"))
    assert data == b"blocked", outcome.stderr


def test_an_abstract_unix_socket_on_the_host_is_unreachable(sandbox_backend: Sandbox) -> None:
    name = "\0gradelab-attack-" + os.urandom(4).hex()
    server = socket.socket(socket.AF_UNIX)
    server.bind(name)
    server.listen()
    server.settimeout(0.2)
    try:
        attempt = f"s = socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect({name!r})"
        outcome, data = run_job(sandbox_backend, TRY.format(attempt=attempt))
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()
    assert data == b"blocked", outcome.stderr


def test_a_unix_socket_file_on_the_host_is_unreachable(sandbox_backend: Sandbox, tmp_path: Path) -> None:
    path = str(tmp_path / "db.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen()
    try:
        attempt = f"s = socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect({path!r})"
        outcome, data = run_job(sandbox_backend, TRY.format(attempt=attempt))
    finally:
        server.close()
    assert data == b"blocked", outcome.stderr


def test_the_only_interface_is_a_dead_loopback(sandbox_backend: Sandbox) -> None:
    outcome, data = run_job(
        sandbox_backend,
        """
        import os
        lines = open("/proc/net/dev").read().splitlines()[2:]
        os.write(3, repr([line.split(":")[0].strip() for line in lines]).encode())
        """,
    )
    assert data == b"['lo']", outcome.stderr
