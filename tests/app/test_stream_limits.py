"""Live status streams are limited per user and per address, on a real uvicorn, and give their slot back."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.api.limits import StreamSlots
from app.db.models import Role, User
from app.errors import TooManyRequests
from app.main import create_app
from tests.app.conftest import World, load_toy, settings_for, starter_of


class Served:
    """The app on a random loopback port (no grading slots, so submissions stay queued and streams stay open)."""

    def __init__(self, url: str, tmp: Path) -> None:
        app = create_app(settings_for(url, tmp, streams_per_user=2, streams_per_address=3), start_grading=False)
        self.world = World(db=app.state.runtime.db, client=TestClient(app, raise_server_exceptions=False))
        self.slots: StreamSlots = app.state.stream_slots
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        self.port = port


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    served = Served(sqlite_url, tmp_path)
    world = served.world
    world.add_course("dl")
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    yield served
    served.server.should_exit = True
    served.thread.join(30)


def _events(served: Served, who: str) -> tuple[str, dict[str, str]]:
    sid = served.world.submit(who, "toy-layers", starter_of(load_toy("toy-layers"))).json()["id"]
    return f"/api/v1/submissions/{sid}/events", served.world.headers(who)


class Stream:
    """One GET on its own connection; entering returns once the answer's headers have arrived."""

    def __init__(self, served: Served, path: str, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status

    def json(self) -> Any:
        return json.loads(self.response.read())

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def test_one_user_gets_429_with_retry_after_past_their_open_streams(served: Served) -> None:
    url, headers = _events(served, "alice")
    with ExitStack() as open_streams:
        for _ in range(2):
            assert open_streams.enter_context(Stream(served, url, headers)).status == 200
        with Stream(served, url, headers) as refused:
            assert refused.status == 429
            assert refused.response.getheader("Retry-After") == "10"
            assert refused.json()["detail"].startswith("you already follow 2 submissions live")
        other_url, other_headers = _events(served, "bob")
        with Stream(served, other_url, other_headers) as other:
            assert other.status == 200  # another student is not held back


def test_a_closed_stream_gives_its_slot_back(served: Served) -> None:
    url, headers = _events(served, "alice")
    with served.world.db.read() as session:
        alice = session.scalar(select(User.id).where(User.username == "alice"))
    assert alice is not None
    for _ in range(3):  # more streams in turn than the limit, each closed before the next
        with Stream(served, url, headers) as stream:
            assert stream.status == 200
            assert stream.response.readline().startswith(b"event: status")
        deadline = time.monotonic() + 30
        while served.slots.open_count(alice) > 0:
            assert time.monotonic() < deadline, "the closed stream never gave its slot back"
            time.sleep(0.02)


def test_one_address_is_limited_across_users(served: Served) -> None:
    alice_url, alice = _events(served, "alice")
    bob_url, bob = _events(served, "bob")
    with ExitStack() as open_streams:
        for url, headers in ((alice_url, alice), (alice_url, alice), (bob_url, bob)):
            assert open_streams.enter_context(Stream(served, url, headers)).status == 200
        with Stream(served, bob_url, bob) as refused:
            assert refused.status == 429
            assert "live streams are already open from your address" in refused.json()["detail"]


def test_stream_slots_release_once_even_when_called_twice() -> None:
    slots = StreamSlots(per_user=1, per_address=5)
    release = slots.acquire(7, "10.0.0.1")
    with pytest.raises(TooManyRequests):
        slots.acquire(7, "10.0.0.1")
    release()
    release()
    assert slots.open_count(7) == 0
    other = slots.acquire(8, "10.0.0.1")
    slots.acquire(7, "10.0.0.1")
    other()
    assert slots.open_count(7) == 1
