"""Regrading against a new version with a before/after table, and the gradebook and results.json exports."""

from __future__ import annotations

import csv
import io

import pytest

from app.db.models import Role
from app.problems.service import add_version
from grader.bundle import bundle_from_files
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _summing_mse() -> dict[str, bytes]:
    """A solution whose MSE sums instead of averaging (a known mistake of the toy problem)."""
    bundle = load_toy("toy-layers")
    return {"toy.py": bundle.files["solution/toy.py"] + b"\n" + bundle.files["mistakes/mse_sum.py"]}


def _version_worth_more(world: World) -> None:
    """Version 2: the same tests, the MSE tests worth 4 points instead of 2."""
    bundle = load_toy("toy-layers")
    files = dict(bundle.files)
    files["problem.toml"] = files["problem.toml"].replace(b"points = 2", b"points = 4")
    with world.db.session() as session:
        from sqlalchemy import select

        from app.db.models import Problem

        problem = session.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        add_version(session, problem, bundle_from_files(files, "v2"), None, None)


def test_a_regrade_shows_before_and_after_and_changes_nothing_until_applied(world: World) -> None:
    good = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wrong = world.submit("bob", "toy-layers", _summing_mse()).json()["id"]
    before = {sid: wait_graded(world, "ian", sid)["score"] for sid in (good, wrong)}
    assert before[good] == 6 and before[wrong] < 6
    _version_worth_more(world)
    started = world.post("ian", f"{PROBLEM}/regrades", json={})
    assert started.status_code == 202
    regrade = started.json()
    assert regrade["version"] == 2 and regrade["state"] == "pending"
    path = f"{PROBLEM}/regrades/{regrade['id']}"
    for _ in range(600):
        view = world.get("ian", path).json()
        if view["done"]:
            break
        import time

        time.sleep(0.05)
    assert view["done"]
    rows = {r["submission_id"]: r for r in view["rows"]}
    assert rows[good]["before"] == 6 and rows[good]["after"] == rows[good]["after_max_score"] == 10
    assert rows[wrong]["after"] is not None and rows[wrong]["change"] is not None
    assert world.get("alice", f"/api/v1/submissions/{good}").json()["score"] == 6  # not official yet
    assert world.post("ian", f"{PROBLEM}/regrades", json={}).status_code == 409  # one pending at a time
    applied = world.post("ian", f"{path}/apply")
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    official = world.get("alice", f"/api/v1/submissions/{good}").json()
    assert (official["score"], official["max_score"]) == (10, 10)
    assert len(official["tests"]) == 4 and official["tests"][1]["max_points"] == 4
    assert world.post("ian", f"{path}/apply").status_code == 409


def test_a_discarded_regrade_leaves_scores_alone(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "ian", sid)
    _version_worth_more(world)
    regrade = world.post("ian", f"{PROBLEM}/regrades", json={}).json()
    discarded = world.post("ian", f"{PROBLEM}/regrades/{regrade['id']}/discard")
    assert discarded.status_code == 200 and discarded.json()["state"] == "discarded"
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["score"] == 6


def test_regrade_against_an_unknown_version_is_404(world: World) -> None:
    answer = world.post("ian", f"{PROBLEM}/regrades", json={"version": 7})
    assert answer.status_code == 404
    assert "no version 7" in answer.json()["detail"]


def test_gradebook_takes_the_best_or_the_latest_with_late_flags(world: World) -> None:
    first = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    wait_graded(world, "ian", first)
    world.patch("ian", PROBLEM, json={"deadline": "2020-01-01T00:00:00+00:00"})
    second = world.submit("alice", "toy-layers", _summing_mse()).json()["id"]
    latest_score = wait_graded(world, "ian", second)["score"]
    best = list(csv.DictReader(io.StringIO(world.get("ian", "/api/v1/courses/dl/gradebook.csv").text)))
    latest = list(csv.DictReader(io.StringIO(world.get("ian", "/api/v1/courses/dl/gradebook.csv?pick=latest").text)))
    assert [r["username"] for r in best] == ["alice", "bob"]
    alice_best, alice_latest = best[0], latest[0]
    assert (alice_best["toy-layers"], alice_best["toy-layers:late"], alice_best["toy-layers:submission"]) == (
        "6",
        "no",
        str(first),
    )
    assert (float(alice_latest["toy-layers"]), alice_latest["toy-layers:late"]) == (latest_score, "yes")
    assert best[1]["toy-layers"] == ""  # bob never submitted
    assert world.get("ian", "/api/v1/courses/dl/gradebook.csv?pick=worst").status_code == 422


def test_gradebook_defuses_spreadsheet_formulas_in_names(world: World) -> None:
    from app.accounts.service import get_user

    with world.db.session() as session:
        get_user(session, "bob").full_name = '=HYPERLINK("http://evil")'
    text = world.get("ian", "/api/v1/courses/dl/gradebook.csv").text
    assert "'=HYPERLINK" in text


def test_results_json_has_gradescopes_shape(world: World) -> None:
    sid = world.submit("alice", "toy-layers", _summing_mse()).json()["id"]
    wait_graded(world, "ian", sid)
    data = world.get("ian", f"/api/v1/submissions/{sid}/results.json").json()
    assert set(data) >= {"score", "output", "tests"}
    assert all(set(t) >= {"name", "score", "max_score", "status", "output", "visibility"} for t in data["tests"])
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] for t in failed)
    assert data["score"] == sum(t["score"] for t in data["tests"])
