"""A throwaway Redis server for the tests, started from the installed `redis-server` by pytest-redis.

Random loopback port, its own temporary data directory, nothing persisted; `restart()` stops
and starts it on the same port (what a Redis outage looks like to the service). A machine
without `redis-server` skips loudly, and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_redis.executor import RedisExecutor


class RedisServer:
    def __init__(self, executable: str, datadir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.executor = RedisExecutor(
            executable=executable,
            databases=4,
            redis_timeout=30,
            loglevel="warning",
            host="127.0.0.1",
            port=self.port,
            datadir=datadir,
        )
        self.executor.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def restart(self) -> None:
        """Stop and start again on the same port (every message it held is lost: nothing is persisted)."""
        self.executor.stop()
        self.executor.start()

    def stop(self) -> None:
        self.executor.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        message = "REDIS UNAVAILABLE: install `redis-server` (apt-get install redis-server) to run these tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="gradelab-redis-") as datadir:
        server = RedisServer(executable, Path(datadir))
        try:
            yield server
        finally:
            server.stop()
