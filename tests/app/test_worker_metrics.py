"""A worker's metrics listener: loopback by default, the service's token rule once a token is set."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import structlog
import structlog.testing
from prometheus_client import CollectorRegistry, Counter

from app.config import Mode, Settings
from app.db.models import Role
from app.jobs.worker import run_worker
from app.jobs.worker_metrics import MetricsRefused, serve_metrics
from tests._postgres import PostgresServer
from tests.app.conftest import WorldFactory

SCRAPER = "a-long-random-scraper-token-for-prometheus"


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("gradelab_graded", "graded submissions", registry=registry).inc(3)
    return registry


def _get(port: int, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_without_a_token_the_listener_is_on_loopback_and_open_there() -> None:
    listener = serve_metrics(_registry(), 0)
    try:
        assert listener._server.server_address[0] == "127.0.0.1"  # type: ignore[attr-defined]
        status, body = _get(listener.port)
        assert status == 200 and "gradelab_graded_total 3.0" in body
    finally:
        listener.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5"])
def test_a_network_address_without_a_token_is_refused_with_what_to_set(host: str) -> None:
    with pytest.raises(MetricsRefused) as refused:
        serve_metrics(_registry(), 0, host)
    assert "GRADELAB_METRICS_TOKEN" in str(refused.value) and host in str(refused.value)
    assert "--metrics-host" in str(refused.value)


def test_with_a_token_the_scraper_and_admins_read_and_nobody_else(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("root", admin=True)
    world.user("alice", role=Role.STUDENT)
    listener = serve_metrics(_registry(), 0, "0.0.0.0", SCRAPER, world.db)
    try:
        status, body = _get(listener.port)
        assert status == 401 and "GRADELAB_METRICS_TOKEN" in json.loads(body)["detail"]
        assert "gradelab_graded" not in body
        status, body = _get(listener.port, "not-the-scraper-token")
        assert status == 401 and "gradelab_graded" not in body
        status, body = _get(listener.port, world.tokens["alice"])
        assert status == 403 and json.loads(body)["detail"].startswith("the worker's metrics are for admins")
        assert "gradelab_graded" not in body
        for token in (SCRAPER, world.tokens["root"]):
            status, body = _get(listener.port, token)
            assert status == 200 and "gradelab_graded_total 3.0" in body
    finally:
        listener.close()


def test_a_worker_asked_for_open_network_metrics_does_not_start(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database("worker_metrics_refused")
    settings = Settings(mode=Mode.DISTRIBUTED, database_url=url, redis_url="redis://127.0.0.1:1/0")
    # The log event itself (where structlog prints depends on how an earlier test configured it).
    with structlog.testing.capture_logs() as logs:
        assert run_worker(settings, slots=0, metrics_port=0, metrics_host="0.0.0.0") == 2
    refused = [e for e in logs if e["event"] == "worker_metrics_refused"]
    assert len(refused) == 1 and "would be open to the network: set GRADELAB_METRICS_TOKEN" in refused[0]["error"]
