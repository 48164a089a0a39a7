"""Similarity reports end to end on SQLite and PostgreSQL: asked for through the API or due after the
deadline, made in the background from stored files, read by instructors only, and not lost to a restart."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app.db.models import (
    Problem,
    ReportState,
    Role,
    SimilarityReport,
    Submission,
    SubmissionFile,
    SubmissionState,
    User,
)
from app.integrity import reports
from bench.similarity import disguised
from tests.app.conftest import World, WorldFactory, load_toy

HEAD = "import numpy as np\n\n\n"
ALICE = (
    HEAD
    + '''def relu_forward(x):
    """Return (out, cache) for an elementwise ReLU."""
    positive = x > 0
    out = np.where(positive, x, np.zeros_like(x))
    return out, (x, positive)


def relu_backward(dout, cache):
    """Return dx, the gradient of the ReLU."""
    x, positive = cache
    dx = np.where(positive, dout, 0.0 * dout)
    assert dx.shape == x.shape, "shape mismatch"
    return dx


def mse_loss(pred, target):
    """Return (loss, dpred) for the mean squared error over all elements."""
    residual = np.subtract(pred, target).astype(np.float64)
    count = residual.size
    loss = float(np.sum(residual * residual) / count)
    dpred = 2.0 * residual / count
    return loss, dpred
'''
)
CAROL = (
    HEAD
    + '''def relu_forward(x):
    """Return (out, cache) for an elementwise ReLU."""
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """Return dx, the gradient of the ReLU."""
    return dout * (cache > 0)


def mse_loss(pred, target):
    """Return (loss, dpred) for the mean squared error over all elements."""
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size
'''
)
STARTER = (Path(__file__).resolve().parents[1] / "bundles" / "toy-layers" / "starter" / "toy.py").read_text()
BOB = disguised(ALICE, random.Random(4))  # alice's code renamed, reordered, comments changed


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, slots=0)
    for name in ("alice", "bob", "carol", "dora"):
        world.user(name, role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _graded(world: World, who: str, text: str, score: float, minute: int = 0) -> int:
    """A graded submission of toy.py as the grader stores it (the report reads files, never runs them)."""
    with world.db.session() as s:
        user = s.scalar(select(User).where(User.username == who))
        problem = s.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert user is not None and problem is not None and problem.current_version_id is not None
        row = Submission(
            problem_id=problem.id,
            version_id=problem.current_version_id,
            user_id=user.id,
            state=SubmissionState.GRADED,
            score=score,
            max_score=5.0,
            created_at=dt.datetime(2026, 11, 2, 9, minute, tzinfo=dt.UTC),
        )
        s.add(row)
        s.flush()
        s.add(SubmissionFile(submission_id=row.id, name="toy.py", content=text.encode()))
        return row.id


def _class(world: World) -> dict[str, int]:
    ids = {
        "alice": _graded(world, "alice", ALICE, 5.0),
        "bob": _graded(world, "bob", BOB, 5.0),
        "carol": _graded(world, "carol", CAROL, 5.0),
        "dora": _graded(world, "dora", STARTER, 0.0),  # handed in the starter file untouched
    }
    _graded(world, "carol", ALICE, 1.0, minute=5)  # carol's worse try does not count: her best does
    return ids


def _wait(world: World, path: str, who: str = "ian") -> dict[str, Any]:
    runtime = world.client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.similarity.wait_idle(60)
    body: dict[str, Any] = world.get(who, path).json()
    return body


PATH = "/api/v1/courses/dl/problems/toy-layers/similarity"


def test_an_instructor_asks_for_a_report_and_the_copy_comes_first(world: World) -> None:
    ids = _class(world)
    assert world.get("ian", PATH).json()["state"] is None  # nothing asked for yet
    asked = world.post("ian", PATH)
    assert asked.status_code == 202, asked.text
    assert asked.json()["state"] in ("queued", "running", "done")
    body = _wait(world, PATH)
    assert body["state"] == "done" and body["after_deadline"] is False
    assert body["submissions"] == 4  # one counting submission per student
    top = body["pairs"][0]
    assert {top["a"]["user"], top["b"]["user"]} == {"alice", "bob"}
    assert {top["a"]["submission"], top["b"]["submission"]} == {ids["alice"], ids["bob"]}
    assert top["rank"] == 1 and top["similarity"] > 0.6 and top["regions"]
    others = [p for p in body["pairs"] if {p["a"]["user"], p["b"]["user"]} != {"alice", "bob"}]
    assert all(p["similarity"] < top["similarity"] / 2 for p in others), others
    assert not any("dora" in (p["a"]["user"], p["b"]["user"]) for p in body["pairs"])  # the starter matches no one
    region = top["regions"][0]
    assert region["a"]["file"] == region["b"]["file"] == "toy.py" and len(region["a"]["lines"]) == 2


def test_asking_while_a_report_runs_gives_that_report(world: World) -> None:
    _class(world)
    with world.db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        first = reports.request_report(s, problem, None).id
        assert reports.request_report(s, problem, None).id == first
        assert reports.claim(s, first, dt.datetime.now(dt.UTC)) == 1  # running here, its lease alive
    again = world.post("ian", PATH)
    assert again.status_code == 202 and again.json()["id"] == first and again.json()["state"] == "running"
    with world.db.read() as s:
        assert list(s.scalars(select(SimilarityReport.id))) == [first]


def test_students_cannot_see_or_run_reports(world: World) -> None:
    _class(world)
    for response in (world.get("alice", PATH), world.post("alice", PATH)):
        assert response.status_code == 403, response.text
        assert "instructors" in response.json()["detail"]
    outsider = world.user("eve")  # not in the course at all
    assert world.get(outsider, PATH).status_code == 404
    assert world.get("ian", "/api/v1/courses/dl/problems/nope/similarity").status_code == 404
    with world.db.read() as s:
        assert s.scalar(select(SimilarityReport.id)) is None


def test_a_report_is_made_once_after_the_deadline(world: World) -> None:
    _class(world)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    assert world.patch("ian", "/api/v1/courses/dl/problems/toy-layers", json={"deadline": past}).status_code == 200
    runtime = world.client.app.state.runtime  # type: ignore[attr-defined]
    runtime.similarity.tick()  # what the runner's periodic tick does in the process that leads
    body = _wait(world, PATH)
    assert body["state"] == "done" and body["after_deadline"] is True
    assert {body["pairs"][0]["a"]["user"], body["pairs"][0]["b"]["user"]} == {"alice", "bob"}
    runtime.similarity.tick()
    assert runtime.similarity.wait_idle(60)
    with world.db.read() as s:
        assert len(list(s.scalars(select(SimilarityReport.id)))) == 1  # once, not at every tick


def test_a_report_whose_process_died_is_run_again_and_failed_after_three_tries(world: World) -> None:
    _class(world)
    runtime = world.client.app.state.runtime  # type: ignore[attr-defined]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with world.db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        again = SimilarityReport(problem_id=problem.id, state=ReportState.RUNNING, attempt=1, lease_expires_at=long_ago)
        hopeless = SimilarityReport(
            problem_id=problem.id, state=ReportState.RUNNING, attempt=3, lease_expires_at=long_ago
        )
        s.add_all([again, hopeless])
        s.flush()
        again_id, hopeless_id = again.id, hopeless.id
    runtime.similarity.tick()
    assert runtime.similarity.wait_idle(60)
    with world.db.read() as s:
        redone, failed = s.get(SimilarityReport, again_id), s.get(SimilarityReport, hopeless_id)
        assert redone is not None and failed is not None
        assert (redone.state, redone.attempt, redone.submissions) == (ReportState.DONE, 2, 4)
        assert failed.state is ReportState.FAILED and "run it again" in failed.message


def test_a_stale_attempt_does_not_overwrite_a_newer_one(world: World) -> None:
    _class(world)
    with world.db.session() as s:
        problem = s.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        report_id = reports.request_report(s, problem, None).id
        assert reports.claim(s, report_id, dt.datetime.now(dt.UTC)) == 1  # in one transaction: the runner waits
    with world.db.session() as s:
        assert reports.claim(s, report_id, dt.datetime.now(dt.UTC)) is None  # running, lease alive: not twice
        s.execute(update(SimilarityReport).where(SimilarityReport.id == report_id).values(attempt=2))
    reports._store(world.db, report_id, 1, ReportState.DONE, submissions=99)
    with world.db.read() as s:
        row = s.get(SimilarityReport, report_id)
        assert row is not None and row.state is ReportState.RUNNING and row.submissions == 0


def test_fewer_than_two_graded_students_make_an_empty_report(world: World) -> None:
    _graded(world, "alice", ALICE, 5.0)
    world.post("ian", PATH)
    body = _wait(world, PATH)
    assert (body["state"], body["submissions"], body["pairs"]) == ("done", 1, [])
