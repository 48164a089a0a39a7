"""Deadlines with the instructor's late policy, and per-student quotas, enforced by the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.db.models import Role
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _submit(world: World, who: str = "alice") -> Any:
    return world.submit(who, "toy-layers", solution_of(load_toy("toy-layers")))


def _past() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()


def test_before_the_deadline_a_submission_is_on_time(world: World) -> None:
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    world.patch("ian", PROBLEM, json={"deadline": future, "late_policy": "reject"})
    answer = _submit(world)
    assert answer.status_code == 202 and answer.json()["late"] is False


def test_late_submissions_are_accepted_and_flagged(world: World) -> None:
    world.patch("ian", PROBLEM, json={"deadline": _past(), "late_policy": "accept"})
    answer = _submit(world)
    assert answer.status_code == 202 and answer.json()["late"] is True
    listed = world.get("ian", "/api/v1/courses/dl/submissions", params={"late": True}).json()
    assert listed["total"] == 1


def test_late_submissions_are_rejected_with_the_deadline_named(world: World) -> None:
    world.patch("ian", PROBLEM, json={"deadline": "2026-01-02T03:04:00+00:00", "late_policy": "reject"})
    answer = _submit(world)
    assert answer.status_code == 403
    assert "2026-01-02 03:04 UTC" in answer.json()["detail"]
    assert world.get("ian", "/api/v1/courses/dl/submissions").json()["total"] == 0


def test_instructors_may_submit_after_a_rejecting_deadline(world: World) -> None:
    world.patch("ian", PROBLEM, json={"deadline": _past(), "late_policy": "reject"})
    assert _submit(world, "ian").status_code == 202


def test_a_deadline_without_a_time_zone_is_refused(world: World) -> None:
    answer = world.patch("ian", PROBLEM, json={"deadline": "2026-12-01T23:59:00"})
    assert answer.status_code == 422
    assert "time zone" in answer.json()["detail"]


def test_penalty_must_be_a_fraction(world: World) -> None:
    answer = world.patch("ian", PROBLEM, json={"late_policy": "penalty", "late_penalty": 1.5})
    assert answer.status_code == 422
    assert "late_penalty" in answer.json()["detail"]


def test_the_quota_refuses_the_next_submission_with_when_it_is_allowed(world: World) -> None:
    world.patch("ian", PROBLEM, json={"quota_count": 2, "quota_window_seconds": 3600})
    assert _submit(world).status_code == 202
    assert _submit(world).status_code == 202
    third = _submit(world)
    assert third.status_code == 429
    body = third.json()
    assert "all 2 submissions allowed for toy-layers in 1 hour(s)" in body["detail"]
    assert "next is allowed at" in body["detail"]
    assert 3500 <= int(third.headers["retry-after"]) <= 3601
    assert world.get("alice", "/api/v1/courses/dl/submissions").json()["total"] == 2


def test_the_quota_is_per_student_and_instructors_are_exempt(world: World) -> None:
    world.user("bob", role=Role.STUDENT)
    world.patch("ian", PROBLEM, json={"quota_count": 1})
    assert _submit(world, "alice").status_code == 202
    assert _submit(world, "bob").status_code == 202
    assert _submit(world, "alice").status_code == 429
    assert _submit(world, "ian").status_code == 202
    assert _submit(world, "ian").status_code == 202


def test_clearing_the_quota_allows_submitting_again(world: World) -> None:
    world.patch("ian", PROBLEM, json={"quota_count": 1})
    _submit(world)
    assert _submit(world).status_code == 429
    world.patch("ian", PROBLEM, json={"clear_quota": True})
    assert _submit(world).status_code == 202


def test_a_graded_late_submission_loses_the_penalty_and_an_accepted_one_does_not(
    make_world: WorldFactory, database_url: str
) -> None:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    world.patch("ian", PROBLEM, json={"deadline": _past(), "late_policy": "penalty", "late_penalty": 0.25})
    penalised = _submit(world).json()
    first = wait_graded(world, "alice", penalised["id"])
    world.patch("ian", PROBLEM, json={"late_policy": "accept"})
    accepted = _submit(world).json()
    second = wait_graded(world, "alice", accepted["id"])
    assert penalised["late"] is True and accepted["late"] is True
    assert (first["raw_score"], first["score"]) == (6, 4.5)
    assert (second["raw_score"], second["score"]) == (6, 6)
