"""Failed logins are throttled per username and per address, and password checks never crowd out the service."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

import anyio
import pytest

from app.accounts.throttle import LoginGuard, LoginThrottle, ThrottleRules
from app.errors import TooManyRequests, Unauthorized
from tests.app.conftest import WorldFactory

LOGIN = "/api/v1/auth/token"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _refusal(throttle: LoginThrottle, username: str, address: str) -> TooManyRequests | None:
    try:
        throttle.check(username, address)
    except TooManyRequests as exc:
        return exc
    return None


def test_a_username_waits_after_its_free_failures_and_the_wait_doubles() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottleRules(free_per_user=3, backoff_seconds=2, backoff_max_seconds=100), clock)
    for _ in range(3):
        throttle.failed("ada", "10.0.0.1")
    assert _refusal(throttle, "ada", "10.0.0.9") is None
    throttle.failed("ada", "10.0.0.1")
    first = _refusal(throttle, "ada", "10.0.0.9")
    assert first is not None and first.status == 429 and first.headers["Retry-After"] == "2"
    assert "wait 2 seconds" in first.detail
    clock.now += 2.5
    assert _refusal(throttle, "ada", "10.0.0.9") is None
    throttle.failed("ada", "10.0.0.1")
    second = _refusal(throttle, "ada", "10.0.0.9")
    assert second is not None and second.headers["Retry-After"] == "4"
    for _ in range(20):
        throttle.failed("ada", "10.0.0.1")
    capped = _refusal(throttle, "ada", "10.0.0.9")
    assert capped is not None and capped.headers["Retry-After"] == "100"
    assert _refusal(throttle, "bob", "10.0.0.9") is None  # other users are not held back


def test_an_address_waits_after_its_free_failures_whatever_the_usernames() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottleRules(free_per_user=100, free_per_address=4, backoff_seconds=30), clock)
    for n in range(5):
        throttle.failed(f"guess{n}", "10.0.0.1")
    refused = _refusal(throttle, "someone-else", "10.0.0.1")
    assert refused is not None and refused.headers["Retry-After"] == "30"
    assert _refusal(throttle, "someone-else", "10.0.0.2") is None


def test_failures_are_forgotten_after_a_quiet_while_and_a_right_password_clears_the_username() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottleRules(free_per_user=1, free_per_address=2, forget_seconds=60), clock)
    throttle.failed("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    assert _refusal(throttle, "ada", "10.0.0.2") is not None
    clock.now += 61
    assert _refusal(throttle, "ada", "10.0.0.1") is None
    throttle.failed("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    throttle.succeeded("ada")
    assert _refusal(throttle, "ada", "10.0.0.2") is None
    assert _refusal(throttle, "bob", "10.0.0.1") is not None  # one account's success does not reset the address


async def _until(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await anyio.sleep(0.005)
    raise AssertionError("the condition never came true")


def test_password_checks_run_off_the_event_loop_a_bounded_number_at_a_time() -> None:
    gate = threading.Event()
    lock = threading.Lock()
    running = peak = 0

    def check() -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        gate.wait(30)
        with lock:
            running -= 1
        return "token"

    guard = LoginGuard(LoginThrottle(ThrottleRules()), concurrency=2, queue_max=10)
    results: list[str] = []

    async def one(n: int) -> None:
        results.append(await guard.attempt(f"user{n}", "10.0.0.1", check))

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            for n in range(6):
                group.start_soon(one, n)
            # The loop keeps running other work while two checks hold their turn and four wait for one.
            await _until(lambda: guard.in_flight == 6 and running == 2)
            gate.set()

    anyio.run(scenario)
    assert results == ["token"] * 6
    assert peak == 2


def test_password_checks_run_at_a_lower_cpu_priority_than_requests() -> None:
    guard = LoginGuard(LoginThrottle(ThrottleRules()), concurrency=1, queue_max=4)

    def check() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert anyio.run(guard.attempt, "ada", "10.0.0.1", check) == min(19, own + 10)
    guard.close()


def test_logins_beyond_the_waiting_room_are_refused_at_once_with_retry_after() -> None:
    gate = threading.Event()
    guard = LoginGuard(LoginThrottle(ThrottleRules()), concurrency=1, queue_max=2)

    def check() -> str:
        gate.wait(30)
        return "token"

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            for n in range(3):
                group.start_soon(guard.attempt, f"user{n}", "10.0.0.1", check)
            await _until(lambda: guard.in_flight == 3)
            with pytest.raises(TooManyRequests) as refused:
                await guard.attempt("late", "10.0.0.1", check)
            assert refused.value.headers["Retry-After"] == "2"
            assert "many logins at once" in refused.value.detail
            gate.set()

    anyio.run(scenario)


def test_a_wrong_password_counts_and_a_throttled_attempt_never_checks_the_password() -> None:
    guard = LoginGuard(LoginThrottle(ThrottleRules(free_per_user=1, backoff_seconds=600)), concurrency=1, queue_max=4)
    checked = 0

    def wrong() -> str:
        nonlocal checked
        checked += 1
        raise Unauthorized("wrong username or password")

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(Unauthorized):
                await guard.attempt("ada", "10.0.0.1", wrong)
        with pytest.raises(TooManyRequests):
            await guard.attempt("ada", "10.0.0.1", wrong)

    anyio.run(scenario)
    assert checked == 2


def _throttled_world(make_world: WorldFactory, url: str) -> Any:
    world = make_world(url, login_free_failures_per_user=2, login_backoff_seconds=600)
    world.user("ada")
    return world


def test_api_login_answers_429_with_retry_after_once_a_username_failed_too_often(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = _throttled_world(make_world, sqlite_url)
    for _ in range(3):
        assert world.client.post(LOGIN, json={"username": "ada", "password": "wrong-one"}).status_code == 401
    refused = world.client.post(LOGIN, json={"username": "ada", "password": "password-of-ada"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 290  # the first wait, 600 s, capped at the 300 s maximum
    assert refused.json()["detail"].startswith("too many failed logins for this username or from this address")
    # An unknown username is throttled the same way, so the answer tells nothing about who exists.
    for _ in range(3):
        assert world.client.post(LOGIN, json={"username": "ghost", "password": "wrong-one"}).status_code == 401
    ghost = world.client.post(LOGIN, json={"username": "ghost", "password": "wrong-one"})
    assert ghost.status_code == 429 and ghost.json()["detail"] == refused.json()["detail"]


def test_dashboard_login_form_shows_the_same_429_message(make_world: WorldFactory, sqlite_url: str) -> None:
    world = _throttled_world(make_world, sqlite_url)
    answer = None
    for _ in range(4):
        world.client.get("/login")
        form = {"username": "ada", "password": "wrong-one", "csrf": world.client.cookies["gradelab_login"]}
        answer = world.client.post("/login", data=form, follow_redirects=False)
    assert answer is not None and answer.status_code == 429
    assert int(answer.headers["Retry-After"]) >= 290
    assert "Too many failed logins for this username or from this address" in answer.text


def test_a_wrong_password_is_answered_while_another_process_holds_the_write_lock(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    # Checking a password only reads: a storm of wrong passwords must not queue for (or hold) the write lock.
    world = make_world(sqlite_url)
    world.user("ada")
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        answer = world.client.post(LOGIN, json={"username": "ada", "password": "wrong-one"})
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert answer.status_code == 401
    assert answer.json()["detail"] == "wrong username or password"
