"""The README's first command, end to end: start the service, submit the starter and a solution, read results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench._servers import free_port, multipart

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "reference" / "layers"


@pytest.mark.slow
def test_start_script_serves_the_demo_course_and_grades_a_curl_submission(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GRADELAB_DATA_DIR": str(tmp_path / "var"), "GRADELAB_PORT": str(port)}
    log = (tmp_path / "start.log").open("wb")
    proc = subprocess.Popen(["bash", "scripts/start.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, proc, tmp_path / "start.log")
        printed = (tmp_path / "start.log").read_text()
        logins = json.loads((tmp_path / "var" / "demo-logins.json").read_text())
        token = logins["student"]["token"]
        assert token in printed and logins["instructor"]["password"] in printed
        results = {}
        for kind in ("starter", "solution"):
            body, ctype = multipart("files", {"layers.py": (LAYERS / kind / "layers.py").read_bytes()})
            status, created = _request(
                port, "POST", "/api/v1/courses/demo/problems/layers/submissions", token, body, ctype
            )
            assert status == 202, created
            results[kind] = _wait_graded(port, token, created["id"])
        assert results["starter"]["score"] == 0
        assert all("not implemented" in t["feedback"] for t in results["starter"]["tests"] if t["visible"])
        assert results["solution"]["score"] == results["solution"]["max_score"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        log.close()
    again = subprocess.run(
        [".venv/bin/python", "-m", "app", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "GRADELAB_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'gradelab.db'}"},
    )
    assert again.returncode == 0 and "added" not in again.stdout  # a second start keeps the data


def _request(port: int, method: str, path: str, token: str, body: bytes | None = None, ctype: str | None = None):  # type: ignore[no-untyped-def]
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 600  # the first run installs the project into .venv
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("scripts/start.sh exited:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("the service did not become healthy:\n" + log.read_text()[-3000:])


def _wait_graded(port: int, token: str, sid: int) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, body = _request(port, "GET", f"/api/v1/submissions/{sid}", token)
        assert status == 200
        if body["status"] in ("graded", "failed"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"submission {sid} was not graded")
