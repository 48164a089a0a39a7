"""A regrade's table in percentages of each maximum, the record kept once applied, and submissions it could not
regrade shown as such (they keep their old score, never silently)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Problem, Role
from app.problems.service import add_version
from app.web.session import COOKIE
from grader.bundle import bundle_from_files
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, slots=1, max_attempts=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _new_version(world: World, change: dict[str, tuple[bytes, bytes]]) -> None:
    """A version of toy-layers with each file's `old` bytes replaced by `new`."""
    files = dict(load_toy("toy-layers").files)
    for name, (old, new) in change.items():
        assert old in files[name]
        files[name] = files[name].replace(old, new)
    with world.db.session() as session:
        problem = session.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        add_version(session, problem, bundle_from_files(files, "v2"), None, None)


def _finished(world: World, regrade_id: int) -> dict[str, Any]:
    path = f"{PROBLEM}/regrades/{regrade_id}"
    for _ in range(1200):
        view: dict[str, Any] = world.get("ian", path).json()
        if view["done"]:
            return view
        time.sleep(0.05)
    raise AssertionError(f"regrade {regrade_id} did not finish")


def _regrade(world: World) -> dict[str, Any]:
    started = world.post("ian", f"{PROBLEM}/regrades", json={})
    assert started.status_code == 202, started.text
    return _finished(world, started.json()["id"])


def test_a_full_score_under_a_new_maximum_is_no_change(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "ian", sid)
    _new_version(world, {"problem.toml": (b"points = 2", b"points = 4")})  # 6/6 becomes 10/10
    row = _regrade(world)["rows"][0]
    assert (row["before"], row["before_max_score"], row["before_percent"]) == (6, 6, 100)
    assert (row["after"], row["after_max_score"], row["after_percent"]) == (10, 10, 100)
    assert row["change"] == 0 and row["outcome"] == "same percentage"


def test_an_applied_regrade_keeps_its_before_and_after_and_who_applied_it(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "ian", sid)
    # Version 2 makes the hidden MSE test worth 3 points: the full solution goes from 6 / 6 to 8 / 8.
    _new_version(world, {"problem.toml": (b"points = 1\nvisible = false", b"points = 3\nvisible = false")})
    regrade = _regrade(world)
    applied = world.post("ian", f"{PROBLEM}/regrades/{regrade['id']}/apply").json()
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["score"] == 8  # the new score is official
    record = world.get("ian", f"{PROBLEM}/regrades/{regrade['id']}").json()
    assert record == applied
    assert record["state"] == "applied" and record["applied_by"] == "ian" and record["finished_at"]
    row = record["rows"][0]
    assert (row["submission_id"], row["user"], row["before"], row["before_max_score"]) == (sid, "alice", 6, 6)
    assert (row["after"], row["after_max_score"], row["change"]) == (8, 8, 0)
    page = world.client.get(
        f"/c/dl/p/toy-layers/regrades/{regrade['id']}", headers={"Cookie": f"{COOKIE}={world.tokens['ian']}"}
    ).text
    assert "applied by ian" in page and "6 / 6" in page and "8 / 8" in page and "(100.0%)" in page
    manage = world.client.get("/c/dl/p/toy-layers/manage", headers={"Cookie": f"{COOKIE}={world.tokens['ian']}"})
    assert f"/regrades/{regrade['id']}" in manage.text  # the record stays reachable from the problem's page


def test_a_submission_the_regrade_cannot_grade_shows_that_it_keeps_its_old_score(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "ian", sid)
    # A version whose reference crashes: no submission can be graded against it.
    broken = b"def mse_loss(pred, target):\n    raise RuntimeError('broken reference')\n\n\ndef _unused(pred, target):"
    _new_version(world, {"solution/toy.py": (b"def mse_loss(pred, target):", broken)})
    regrade = _regrade(world)
    row = regrade["rows"][0]
    assert regrade["not_regraded"] == 1 and row["status"] == "failed" and row["kept_old_score"]
    assert row["after"] is None and row["before"] == 6 and "could not be regraded" in row["outcome"]
    page = world.client.get(
        f"/c/dl/p/toy-layers/regrades/{regrade['id']}", headers={"Cookie": f"{COOKIE}={world.tokens['ian']}"}
    ).text
    assert "1 submission(s) could not be regraded" in page
    record = world.post("ian", f"{PROBLEM}/regrades/{regrade['id']}/apply").json()
    assert record["not_regraded"] == 1 and record["rows"][0]["kept_old_score"]
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["score"] == 6
