"""The exact JSON each viewer gets of a graded submission with a visible test, a failing hidden test and a hidden
training test: the keys and values the API answers, and the results.json built from the student's view."""

from __future__ import annotations

from typing import Any

import pytest

from app.db.models import Role
from tests.app.conftest import World, WorldFactory, load_toy, wait_graded
from tests.hidden_leak import SOURCE, hidden_world

TOP = {
    "id", "course", "problem", "user", "status", "created_at", "graded_at", "late", "score", "raw_score",
    "max_score", "tests", "metrics", "stdout", "stderr", "output_truncated", "failure_reason", "late_days", "attempt",
    "infra_failures", "regrade_id", "source_id", "grading_seconds", "superseded_by", "queue", "results_released",
    "adjustment", "adjusted_score", "adjustments",
}  # fmt: skip
TEST = {"name", "function", "points", "max_points", "passed", "visible", "stage", "feedback", "diagnosis",
        "accuracy", "seconds"}  # fmt: skip
HIDDEN_FEEDBACK = "Hidden test: its inputs and messages are not shown. {}."


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    return hidden_world(make_world, database_url)


def _common(body: dict[str, Any], sid: int) -> None:
    assert set(body) == TOP
    assert {k: body[k] for k in ("id", "course", "problem", "user", "status", "late", "failure_reason")} == {
        "id": sid, "course": "dl", "problem": "toy-classifier", "user": "alice", "status": "graded", "late": False,
        "failure_reason": None,
    }  # fmt: skip
    assert (body["score"], body["raw_score"], body["max_score"]) == (5.0, 5.0, 6.0)
    assert (body["adjustment"], body["adjusted_score"], body["adjustments"]) == (0.0, 5.0, [])
    assert isinstance(body["created_at"], str) and isinstance(body["graded_at"], str)
    assert body["output_truncated"] is False
    assert all(set(t) == TEST for t in body["tests"])
    visible = body["tests"][0]
    assert (visible["name"], visible["function"], visible["passed"], visible["visible"]) == (
        "softmax_small", "softmax_loss", True, True,
    )  # fmt: skip
    assert visible["feedback"].startswith("softmax_loss: every result matches the reference")
    assert visible["stage"] is None and visible["diagnosis"] == [] and isinstance(visible["seconds"], float)


def test_a_student_gets_the_hidden_tests_redacted_and_no_staff_fields(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    _common(body, sid)
    assert {
        k: body[k] for k in ("attempt", "infra_failures", "regrade_id", "source_id", "grading_seconds")
    } == dict.fromkeys(("attempt", "infra_failures", "regrade_id", "source_id", "grading_seconds"))
    assert body["metrics"] == {}
    assert body["tests"][1:] == [
        {"name": "hidden test 1", "function": "softmax_loss", "points": 0.0, "max_points": 1.0, "passed": False,
         "visible": False, "stage": None, "feedback": HIDDEN_FEEDBACK.format("Failed"), "diagnosis": [],
         "accuracy": None, "seconds": None},
        {"name": "hidden test 2", "function": "train", "points": 3.0, "max_points": 3.0, "passed": True,
         "visible": False, "stage": None, "feedback": HIDDEN_FEEDBACK.format("Passed"), "diagnosis": [],
         "accuracy": None, "seconds": None},
    ]  # fmt: skip
    assert "LEAK" not in body["stdout"] + body["stderr"]


def test_an_instructor_gets_every_test_in_full_and_the_staff_fields(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    body = world.get("ian", f"/api/v1/submissions/{sid}").json()
    _common(body, sid)
    assert (body["attempt"], body["infra_failures"], body["regrade_id"], body["source_id"]) == (1, 0, None, None)
    assert isinstance(body["grading_seconds"], float) and body["grading_seconds"] > 0
    assert set(body["metrics"]) == {"accuracy", "history"}
    failing, training = body["tests"][1:]
    assert (failing["name"], failing["passed"], failing["visible"], failing["stage"], failing["points"]) == (
        "softmax_large_logits", False, False, "ran", 0.0,
    )  # fmt: skip
    assert failing["feedback"].startswith("softmax_loss raised ValueError: LEAK")
    assert (training["name"], training["function"], training["passed"], training["accuracy"]) == (
        "train_accuracy", "train", True, 1.0,
    )  # fmt: skip
    assert training["feedback"] == "Test accuracy 1 (60 of 60 right) meets the bar of 0.9."


def test_results_json_is_the_students_view(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    body = world.get("ian", f"/api/v1/submissions/{sid}/results.json").json()
    assert set(body) == {"output", "score", "stdout_visibility", "tests", "visibility"}
    assert body["score"] == 5.0
    assert body["tests"] == [
        {"name": "softmax_small", "score": 2.0, "max_score": 2.0, "status": "passed", "visibility": "visible",
         "output": "softmax_loss: every result matches the reference (largest relative error 0.0e+00)."},
        {"name": "hidden test 1", "score": 0.0, "max_score": 1.0, "status": "failed", "visibility": "after_published",
         "output": HIDDEN_FEEDBACK.format("Failed")},
        {"name": "hidden test 2", "score": 3.0, "max_score": 3.0, "status": "passed", "visibility": "after_published",
         "output": HIDDEN_FEEDBACK.format("Passed")},
    ]  # fmt: skip


def test_a_failing_visible_test_carries_its_diagnosis_to_both_viewers(
    make_world: WorldFactory, database_url: str
) -> None:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    bundle = load_toy("toy-layers")
    world.add_problem(bundle)
    wrong = bundle.files["solution/toy.py"] + b"\n" + bundle.files["mistakes/mse_sum.py"]
    sid = world.submit("alice", "toy-layers", {"toy.py": wrong}).json()["id"]
    wait_graded(world, "alice", sid)
    student = world.get("alice", f"/api/v1/submissions/{sid}").json()
    staff = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert set(student) == set(staff) == TOP
    assert all(set(t) == TEST for t in student["tests"] + staff["tests"])
    failing = [t for t in student["tests"] if t["visible"] and not t["passed"]]
    assert failing and all(t["diagnosis"] and t["stage"] is not None for t in failing)
    assert "mean" in " ".join(failing[0]["diagnosis"]).lower()
    # A visible test reads the same for both; a hidden one is redacted for the student only.
    for mine, theirs in zip(student["tests"], staff["tests"], strict=True):
        if mine["visible"]:
            assert mine == theirs
        else:
            assert mine["stage"] is mine["seconds"] is mine["accuracy"] is None and mine["diagnosis"] == []
            assert mine["feedback"].startswith("Hidden test") and theirs["seconds"] is not None
    assert student["attempt"] is None and staff["attempt"] == 1
