"""The real service process: the admin CLI drives a fresh install, and a crash mid-grade loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._servers import Server, multipart
from tests.app.conftest import load_toy, solution_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GRADELAB_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'gradelab.db'}",
        "GRADELAB_DATA_DIR": str(tmp_path / "data"),
        "GRADELAB_SLOTS": "1",
        "GRADELAB_LEASE_SECONDS": "3",
        "GRADELAB_SWEEP_INTERVAL_SECONDS": "0.5",
        "GRADELAB_CHECK_UPLOADS": "false",
    }


def app_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def installed(env: dict[str, str]) -> dict[str, str]:
    """A fresh install driven only by the admin CLI: schema, course, instructor, student, tokens."""
    steps = [
        ["migrate"],
        ["create-course", "dl", "--title", "Deep learning"],
        ["create-user", "ian", "--full-name", "Ian Instructor"],
        ["create-user", "alice", "--password", "a-long-password"],
        ["enrol", "dl", "ian", "--role", "instructor"],
        ["enrol", "dl", "alice"],
    ]
    for step in steps:
        done = app_cli(env, *step)
        assert done.returncode == 0, done.stderr
    tokens = {}
    for who in ("ian", "alice"):
        done = app_cli(env, "token", who, "--days", "1")
        assert done.returncode == 0 and done.stdout.startswith("glt_"), done.stderr
        tokens[who] = done.stdout.strip()
    return tokens


def test_admin_cli_explains_its_errors(env: dict[str, str]) -> None:
    assert app_cli(env, "migrate").returncode == 0
    missing = app_cli(env, "enrol", "nope", "ghost")
    assert missing.returncode == 2
    assert "no course 'nope'" in missing.stderr and "Traceback" not in missing.stderr
    assert app_cli(env, "create-user", "bad name!").returncode == 2
    assert app_cli(env, "create-course", "dl").returncode == 0
    twice = app_cli(env, "create-course", "dl")
    assert twice.returncode == 2 and "already exists" in twice.stderr


def test_the_worker_refuses_the_embedded_mode_and_says_what_to_set(env: dict[str, str]) -> None:
    done = app_cli(env, "worker", "--slots", "1")
    assert done.returncode == 2
    event = json.loads(done.stderr.strip().splitlines()[-1])
    assert event["event"] == "worker_needs_distributed_mode"
    assert event["hint"] == "set GRADELAB_MODE=distributed, GRADELAB_DATABASE_URL (PostgreSQL) and GRADELAB_REDIS_URL"


def test_demo_setup_keeps_existing_data_when_run_again(env: dict[str, str], tmp_path: Path) -> None:
    assert app_cli(env, "migrate").returncode == 0
    first = app_cli(env, "demo")
    assert first.returncode == 0, first.stderr
    assert "layers: added" in first.stdout and "glt_" in first.stdout
    examples = [line for line in first.stdout.splitlines() if line.startswith("demo: submission") and " (" in line]
    assert len(examples) == 4 and all(line.endswith(": graded") for line in examples), first.stdout
    assert "demo: regrade request on submission" in first.stdout
    saved = json.loads((tmp_path / "data" / "demo-logins.json").read_text())
    assert (tmp_path / "data" / "demo-logins.json").stat().st_mode & 0o077 == 0
    again = app_cli(env, "demo")
    assert again.returncode == 0 and "added" not in again.stdout and "demo:" not in again.stdout
    assert json.loads((tmp_path / "data" / "demo-logins.json").read_text()) == saved
    assert saved["student"]["token"] in again.stdout


@pytest.fixture
def server_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "server.log"
    yield log
    if log.exists():
        sys.stderr.write(log.read_text(errors="replace")[-4000:])


def test_a_crash_mid_grade_is_recovered_and_graded_exactly_once(
    env: dict[str, str], installed: dict[str, str], server_log: Path
) -> None:
    server = Server(env, server_log)
    try:
        body, ctype = multipart("bundle", {"toy-layers.zip": _toy_zip()})
        status, check = server.request("POST", "/api/v1/courses/dl/problems", installed["ian"], body, ctype)
        assert (status, check["state"]) == (202, "passed")  # uploads are stored unchecked here (CHECK_UPLOADS off)
        status, _ = server.request(
            "PATCH",
            "/api/v1/courses/dl/problems/toy-layers",
            installed["ian"],
            json.dumps({"published": True}).encode(),
            "application/json",
        )
        assert status == 200
        slow = b"import time\ntime.sleep(1.5)\n" + solution_of(load_toy("toy-layers"))["toy.py"]
        body, ctype = multipart("files", {"toy.py": slow})
        status, created = server.request(
            "POST", "/api/v1/courses/dl/problems/toy-layers/submissions", installed["alice"], body, ctype
        )
        assert status == 202
        sid = created["id"]
        _wait(server, installed["alice"], sid, {"running"})
        server.stop(signal.SIGKILL)  # no chance to clean up: the lease is left behind
    finally:
        server.stop()
    server = Server(env, server_log)
    try:
        result = _wait(server, installed["ian"], sid, {"graded", "failed"}, timeout=90)
    finally:
        server.stop()
    assert result["status"] == "graded"
    assert result["score"] == result["max_score"] == 6
    assert result["attempt"] == 2 and result["infra_failures"] == 0
    assert len(result["tests"]) == 4  # one set of results, not two


def _toy_zip() -> bytes:
    from grader.bundle import bundle_to_zip

    return bundle_to_zip(load_toy("toy-layers"))


def _wait(server: Server, token: str, sid: int, states: set[str], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        status, body = server.request("GET", f"/api/v1/submissions/{sid}", token)
        assert status == 200, body
        if body["status"] in states:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"submission {sid} stayed {body['status']}")
        time.sleep(0.05)
