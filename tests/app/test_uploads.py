"""Instructors upload problem bundles: checked in the sandbox before they go live; hostile zips refused."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from app.db.models import Role
from tests.app.conftest import World, WorldFactory, load_toy

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


def test_a_sound_bundle_is_checked_in_the_sandbox_and_stored_unpublished(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, check_uploads=True)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("alice", role=Role.STUDENT)
    answer = _upload(world, _zip(_toy_entries(), folder="toy-layers/"))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["problem"] == {**body["problem"], "slug": "toy-layers", "published": False, "version": 1}
    assert body["version"]["check"]["ok"] is True
    assert any("full marks" in item["name"] for item in body["version"]["check"]["items"])
    assert world.get("alice", f"{PROBLEMS}/toy-layers").status_code == 404
    assert world.patch("ian", f"{PROBLEMS}/toy-layers", json={"published": True}).status_code == 200
    assert world.get("alice", f"{PROBLEMS}/toy-layers").json()["files"] == ["toy.py"]


def test_a_bundle_whose_reference_fails_its_own_tests_is_refused(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url, check_uploads=True)
    world.user("ian", role=Role.INSTRUCTOR)
    entries = _toy_entries()
    entries["solution/toy.py"] = entries["solution/toy.py"].replace(b"np.mean", b"np.sum")
    answer = _upload(world, _zip(entries))
    assert answer.status_code == 422
    body = answer.json()
    assert "failed its checks in the sandbox; nothing was stored" in body["detail"]
    assert body["errors"]
    assert world.get("ian", PROBLEMS).json() == []


def test_a_new_version_becomes_current_and_old_versions_are_kept(world: World) -> None:
    assert _upload(world, _zip(_toy_entries())).status_code == 201
    entries = _toy_entries()
    entries["statement.md"] = entries["statement.md"] + b"\nA clarification.\n"
    again = _upload(world, _zip(entries))
    assert again.status_code == 409
    assert "/problems/toy-layers/versions" in again.json()["detail"]
    second = _upload(world, _zip(entries), path=f"{PROBLEMS}/toy-layers/versions")
    assert second.status_code == 201
    versions = world.get("ian", f"{PROBLEMS}/toy-layers/versions").json()
    assert [(v["number"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert "A clarification." in world.get("ian", f"{PROBLEMS}/toy-layers").json()["statement"]
    assert world.patch("ian", f"{PROBLEMS}/toy-layers", json={"current_version": 1}).json()["version"] == 1


def test_a_version_of_a_different_problem_is_refused(world: World) -> None:
    assert _upload(world, _zip(_toy_entries())).status_code == 201
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
    assert answer.status_code in (413, 422), answer.text
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
