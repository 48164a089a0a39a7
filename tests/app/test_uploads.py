"""Instructors upload problem bundles: answered at once, checked in the sandbox in the background before they go
live, identical uploads make no version; hostile zips refused."""

from __future__ import annotations

import base64
import datetime as dt
import io
import stat
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import utcnow
from app.db.models import CheckState, Course, Problem, Role, UploadCheck
from app.main import create_app
from app.problems import checks
from tests.app.conftest import World, WorldFactory, load_toy, settings_for

PROBLEMS = "/api/v1/courses/dl/problems"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    return world


def _zip(entries: dict[str, bytes], *, symlink: str | None = None, folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(folder + name, data)
        if symlink is not None:
            info = zipfile.ZipInfo(folder + "evil-link")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, symlink)
    return out.getvalue()


def _toy_entries() -> dict[str, bytes]:
    return dict(load_toy("toy-layers").files)


def _upload(world: World, data: bytes, who: str = "ian", path: str = PROBLEMS) -> object:
    return world.post(who, path, files={"bundle": ("bundle.zip", data, "application/zip")})


def _finished(world: World, answer: Any, who: str = "ian") -> dict[str, Any]:
    """The check an upload answered with, once it has ended (polled, as a client would)."""
    assert answer.status_code == 202, answer.text
    url = answer.json()["url"]
    for _ in range(1200):
        body: dict[str, Any] = world.get(who, url).json()
        if body["state"] in ("passed", "failed"):
            return body
        time.sleep(0.25)
    raise AssertionError(f"the check at {url} did not end: {body}")


def test_a_sound_bundle_is_answered_at_once_then_checked_in_the_background_and_stored_unpublished(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, check_uploads=True)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    answer = _upload(world, _zip(_toy_entries(), folder="toy-layers/"))
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    # The answer is built from the row committed before the check starts: it never waits for the sandbox.
    assert queued["state"] == "queued" and queued["version"] is None and queued["problem"] == "toy-layers"
    assert queued["url"] == f"/api/v1/courses/dl/upload-checks/{queued['id']}"
    check = _finished(world, answer)
    assert (check["state"], check["version"], check["progress"]) == ("passed", 1, 1.0), check
    assert "now current" in check["message"]
    assert check["report"]["ok"] is True
    assert any("full marks" in item["name"] for item in check["report"]["items"])
    assert set(check["report"]["inputs"]) == {t.name for t in load_toy("toy-layers").spec.tests}
    assert check["changes"]["tests_added"] == sorted(t.name for t in load_toy("toy-layers").spec.tests)
    assert world.get("alice", f"{PROBLEMS}/toy-layers").status_code == 404
    assert world.get("alice", check["url"]).status_code == 403
    assert world.patch("ian", f"{PROBLEMS}/toy-layers", json={"published": True}).status_code == 200
    assert world.get("alice", f"{PROBLEMS}/toy-layers").json()["files"] == ["toy.py"]


def test_a_bundle_whose_reference_fails_its_own_tests_fails_its_check_and_stores_nothing(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, check_uploads=True)
    world.user("ian", role=Role.INSTRUCTOR)
    entries = _toy_entries()
    entries["solution/toy.py"] = entries["solution/toy.py"].replace(b"np.mean", b"np.sum")
    check = _finished(world, _upload(world, _zip(entries)))
    assert check["state"] == "failed" and check["version"] is None
    assert "failed its checks in the sandbox; nothing was stored" in check["message"]
    assert any(not item["ok"] for item in check["report"]["items"])
    assert world.get("ian", PROBLEMS).json() == []
    with world.db.session() as session:
        assert session.scalars(select(UploadCheck.bundle_zip)).all() == [None]  # only the report is kept


def test_a_version_that_moves_points_keeps_inputs_and_the_report_and_regrade_name_what_changed(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, check_uploads=True)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    assert _finished(world, _upload(world, _zip(_toy_entries())))["state"] == "passed"
    assert world.patch("ian", f"{PROBLEMS}/toy-layers", json={"published": True}).status_code == 200
    assert world.submit("alice", "toy-layers", {"toy.py": _toy_entries()["solution/toy.py"]}).status_code == 202
    entries = _toy_entries()
    toml = entries["problem.toml"].decode()
    toml = toml.replace("points = 2", "points = 4", 1).replace("params = { n = 4, k = 3 }", "params = { n = 5, k = 3 }")
    entries["problem.toml"] = toml.replace("time_seconds = 5", "time_seconds = 8").encode()
    check = _finished(world, _upload(world, _zip(entries), path=f"{PROBLEMS}/toy-layers/versions"))
    assert (check["state"], check["version"]) == ("passed", 2), check
    changes = check["changes"]
    assert changes["previous_version"] == 1
    assert changes["inputs_changed"] == ["mse_small"]  # its params changed; every other test kept its inputs
    assert changes["points"] == [{"test": "relu_backward_small", "before": 2.0, "after": 4.0}]
    assert changes["max_score"]["after"] - changes["max_score"]["before"] == 2.0
    assert {"limit": "time_seconds", "before": 5.0, "after": 8.0} in changes["limits"]
    assert changes["tests_added"] == changes["tests_removed"] == []
    regrade = world.post("ian", f"{PROBLEMS}/toy-layers/regrades", json={"version": 2})
    assert regrade.status_code == 202, regrade.text
    assert regrade.json()["inputs_changed"] == [{"from_version": 1, "tests": ["mse_small"]}]


def test_a_new_version_becomes_current_and_old_versions_are_kept(world: World) -> None:
    first = _upload(world, _zip(_toy_entries()))
    assert first.status_code == 202 and first.json()["state"] == "passed", first.text  # unchecked: stored at once
    entries = _toy_entries()
    entries["statement.md"] = entries["statement.md"] + b"\nA clarification.\n"
    again = _upload(world, _zip(entries))
    assert again.status_code == 409
    assert "/problems/toy-layers/versions" in again.json()["detail"]
    second = _upload(world, _zip(entries), path=f"{PROBLEMS}/toy-layers/versions")
    assert second.status_code == 202
    assert (second.json()["state"], second.json()["version"]) == ("passed", 2)
    assert second.json()["changes"]["inputs_changed"] is None  # neither version was checked: not known
    versions = world.get("ian", f"{PROBLEMS}/toy-layers/versions").json()
    assert [(v["number"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert "A clarification." in world.get("ian", f"{PROBLEMS}/toy-layers").json()["statement"]
    assert world.patch("ian", f"{PROBLEMS}/toy-layers", json={"current_version": 1}).json()["version"] == 1


def test_a_bundle_identical_to_the_current_version_makes_no_new_version(world: World) -> None:
    assert _upload(world, _zip(_toy_entries())).status_code == 202
    # The same files zipped again (another folder name, other timestamps) are the same bundle.
    same = _upload(world, _zip(_toy_entries(), folder="toy-layers/"), path=f"{PROBLEMS}/toy-layers/versions")
    assert same.status_code == 409
    assert "identical to version 1, the current version" in same.json()["detail"]
    assert "no new version was made" in same.json()["detail"]
    assert [v["number"] for v in world.get("ian", f"{PROBLEMS}/toy-layers/versions").json()] == [1]


def test_the_seed_key_is_made_once_kept_across_versions_and_never_shown(world: World) -> None:
    first = _upload(world, _zip(_toy_entries()))
    entries = _toy_entries()
    entries["statement.md"] += b"\nMore.\n"
    second = _upload(world, _zip(entries), path=f"{PROBLEMS}/toy-layers/versions")
    with world.db.session() as session:
        problem = session.scalars(select(Problem)).one()
        keys = set(session.scalars(select(UploadCheck.seed_secret)))
    assert len(problem.seed_secret) == 32 and keys == {problem.seed_secret}
    shown = [first.text, second.text, world.get("ian", second.json()["url"]).text]
    shown += [world.get("ian", f"{PROBLEMS}/toy-layers").text, world.get("ian", f"{PROBLEMS}/toy-layers/versions").text]
    for text in shown:
        assert "seed_secret" not in text
        for spelling in (problem.seed_secret.hex(), base64.b64encode(problem.seed_secret).decode()):
            assert spelling not in text


def test_a_check_a_stopped_service_left_unfinished_is_failed_with_a_sentence_on_restart(
    make_world: WorldFactory, sqlite_url: str, tmp_path: Path
) -> None:
    world = make_world(sqlite_url)
    world.user("ian", role=Role.INSTRUCTOR)
    with world.db.session() as session:
        course = session.scalars(select(Course)).one()
        for state in (CheckState.QUEUED, CheckState.RUNNING, CheckState.PASSED):
            session.add(
                UploadCheck(
                    course_id=course.id,
                    slug="toy-layers",
                    new_problem=True,
                    state=state,
                    digest="0" * 64,
                    bundle_zip=b"zip",
                    seed_secret=b"s" * 32,
                )
            )
    with TestClient(create_app(settings_for(sqlite_url, tmp_path), start_grading=False)) as restarted:
        urls = [f"/api/v1/courses/dl/upload-checks/{i}" for i in (1, 2, 3)]
        states = [restarted.get(url, headers=world.headers("ian")).json() for url in urls]
    assert [s["state"] for s in states] == ["failed", "failed", "passed"]
    for body in states[:2]:
        assert "stopped while this bundle was being checked" in body["message"]
        assert "upload the bundle again" in body["message"]


def test_only_checks_whose_heartbeat_stopped_are_failed_while_other_processes_may_be_checking(
    world: World,
) -> None:
    now = utcnow()
    with world.db.session() as session:
        course = session.scalars(select(Course)).one()
        for beat in (now, now - dt.timedelta(minutes=5)):
            session.add(
                UploadCheck(
                    course_id=course.id,
                    slug="toy-layers",
                    new_problem=True,
                    state=CheckState.RUNNING,
                    digest="0" * 64,
                    bundle_zip=b"zip",
                    seed_secret=b"s" * 32,
                    heartbeat_at=beat,
                )
            )
    with world.db.session() as session:
        assert checks.fail_abandoned(session, now - dt.timedelta(minutes=1)) == 1
    with world.db.session() as session:
        assert [c.state for c in session.scalars(select(UploadCheck).order_by(UploadCheck.id))] == [
            CheckState.RUNNING,
            CheckState.FAILED,
        ]


def test_a_version_of_a_different_problem_is_refused(world: World) -> None:
    assert _upload(world, _zip(_toy_entries())).status_code == 202
    other = dict(load_toy("toy-classifier").files)
    answer = _upload(world, _zip(other), path=f"{PROBLEMS}/toy-layers/versions")
    assert answer.status_code == 422
    assert "toy-classifier" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda e: _zip({**e, "../escape.py": b"x"}), "'..'"),
        (lambda e: _zip({**e, "/etc/cron.d/evil": b"x"}), "absolute"),
        (lambda e: _zip(e, symlink="/etc/passwd"), "link"),
        (lambda e: _zip({**e, "data/zeros.bin": b"\0" * (40 * 1024 * 1024)}), "compress"),
        (lambda e: _zip({**e, **{f"junk/{i}.txt": b"x" for i in range(2001)}}), "entries"),
        (lambda e: b"this is not a zip file at all", "zip"),
        (lambda e: b"", "empty"),
        (lambda e: _zip({k: v for k, v in e.items() if k != "problem.toml"}), "problem.toml"),
        (lambda e: _zip({**e, "problem.toml": e["problem.toml"].replace(b"points = 2", b"points = -2", 1)}), "points"),
    ],
    ids=[
        "zip-slip",
        "absolute-path",
        "symlink",
        "zip-bomb",
        "too-many-entries",
        "not-a-zip",
        "empty",
        "no-toml",
        "bad-points",
    ],
)
def test_hostile_or_broken_uploads_are_refused_with_a_reason(world: World, make: object, message: str) -> None:
    data = make(_toy_entries())  # type: ignore[operator]
    answer = _upload(world, data)
    assert answer.status_code == 422, answer.text  # each is within the size cap: refused for its content
    body = answer.json()
    text = (body["detail"] + " " + " ".join(body["errors"])).lower()
    assert message.lower() in text, text
    assert world.get("ian", PROBLEMS).json() == []


def test_an_oversized_bundle_is_refused_before_it_is_read(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, max_bundle_bytes=4096)
    world.user("ian", role=Role.INSTRUCTOR)
    answer = _upload(world, _zip(_toy_entries()) + b"\0" * 5000)
    assert answer.status_code == 413
    assert "4096" in answer.json()["detail"]


def test_a_request_over_the_body_limit_is_413(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, max_request_bytes=2048)
    world.user("ian", role=Role.INSTRUCTOR)
    answer = _upload(world, b"x" * 10_000)
    assert answer.status_code == 413
    assert "larger than 2048 bytes" in answer.json()["detail"]


def test_upload_without_the_bundle_field_says_what_is_missing(world: World) -> None:
    answer = world.post("ian", PROBLEMS, files={"wrong": ("b.zip", b"x", "application/zip")})
    assert answer.status_code == 422
    assert "bundle" in answer.json()["detail"]


def test_a_check_waiting_for_its_sandbox_holds_up_neither_the_api_nor_another_instructors_check(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, check_uploads=True, check_workers=2)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("ines", role=Role.INSTRUCTOR)
    checker = world.client.app.state.runtime.checker
    real, entered, release = checker.acquire, threading.Event(), threading.Event()

    def acquire_first_slowly() -> Any:
        if not entered.is_set():  # the first check's sandbox comes only when the test says so
            entered.set()
            assert release.wait(300)
        return real()

    checker.acquire = acquire_first_slowly
    second = _toy_entries()
    second["problem.toml"] = second["problem.toml"].replace(b'slug = "toy-layers"', b'slug = "toy-layers-two"')
    try:
        first = _upload(world, _zip(_toy_entries()))
        assert entered.wait(60)
        other = _upload(world, _zip(second), who="ines")
        assert _finished(world, other, who="ines")["state"] == "passed"
        assert world.get("ian", first.json()["url"]).json()["state"] == "running"
        assert {p["slug"] for p in world.get("ian", PROBLEMS).json()} == {"toy-layers-two"}
    finally:
        release.set()
    assert _finished(world, first)["state"] == "passed"
