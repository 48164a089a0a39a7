"""Operations: health with the sandbox, Prometheus metrics, structured logs with the submission id."""

from __future__ import annotations

import json
import logging

import pytest

from app.db.models import Role
from app.logging import configure_logging
from tests.app.conftest import WorldFactory, load_toy, solution_of, wait_graded


def test_health_reports_the_database_and_the_self_tested_slots(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, slots=1)
    answer = world.client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["slots"] == 1 and body["sandbox"].startswith("self-tested")


def test_health_is_unavailable_when_the_database_is_gone(make_world: WorldFactory, tmp_path: object) -> None:
    from pathlib import Path

    from app.db import migrate

    db = Path(str(tmp_path)) / "gone" / "x.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    world = make_world(url)
    world.db.engine.dispose()
    for leftover in db.parent.iterdir():
        leftover.unlink()
    db.mkdir()  # where the database file was, a folder: SQLite cannot open it
    answer = world.client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"


def test_metrics_count_submissions_by_state_and_grading_time(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "alice", sid)
    world.user("root", admin=True)
    text = world.get("root", "/metrics").text
    assert 'gradelab_submissions{state="graded"} 1.0' in text
    assert "gradelab_grading_seconds_count 1.0" in text
    assert 'gradelab_graded_total{outcome="graded"} 1.0' in text
    assert "gradelab_submissions_created_total 1.0" in text


def test_logs_are_json_lines_carrying_the_submission_id(
    make_world: WorldFactory, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    try:
        world = make_world(sqlite_url, slots=1)
        world.user("alice", role=Role.STUDENT)
        world.add_problem(load_toy("toy-layers"))
        sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
        wait_graded(world, "alice", sid)
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    graded = [line for line in lines if line.get("event") == "graded"]
    assert graded and graded[0]["submission_id"] == sid and graded[0]["level"] == "info"
