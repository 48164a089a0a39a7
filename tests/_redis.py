"""The throwaway Redis server fixture: one `redis-server` for the whole test session.

The server (random loopback port, its own temporary data directory; `restart()` stops and starts
it on the same port) is started by ``bench._servers``, which the bench shares and which needs no
test framework. A machine without `redis-server` skips loudly, and fails under CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench._servers import RedisServer, RedisUnavailable, find_redis, running_redis

__all__ = ["RedisServer", "redis_server"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        find_redis()
        missing = False
    except RedisUnavailable:
        missing = True
    if missing:
        message = "REDIS UNAVAILABLE: install `redis-server` (apt-get install redis-server) to run these tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with running_redis() as server:
        yield server
