"""Attack: a submission writes its hidden tests' inputs into everything its runner controls; no student-facing
answer of the service (API, pages, events stream, lists, results.json) carries any of it, while staff see it all."""

from __future__ import annotations

import json
import re

import pytest

from app.web.session import COOKIE
from tests.app.conftest import World, WorldFactory, wait_graded
from tests.hidden_leak import HIDDEN_NAMES, SOURCE, exposed, hidden_world


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    return hidden_world(make_world, database_url)


def _page(world: World, who: str, path: str) -> str:
    response = world.client.get(path, headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})
    assert response.status_code == 200, response.text
    return str(response.text)


def _without_own_files(page: str) -> str:
    """The page without the "Submitted files" section: the student's own source, which holds the markers itself."""
    section = re.compile(r'<section aria-labelledby="files-h".*?</section>', re.S)
    assert len(section.findall(page)) == 1
    return section.sub("", page)


def _events(world: World, who: str, sid: int) -> str:
    with world.client.stream("GET", f"/api/v1/submissions/{sid}/events", headers=world.headers(who)) as stream:
        return "".join(stream.iter_text())


def test_nothing_a_hidden_run_wrote_reaches_any_student_answer(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    answers = {
        "api": world.get("alice", f"/api/v1/submissions/{sid}").text,
        "page": _without_own_files(_page(world, "alice", f"/s/{sid}")),
        "live": _page(world, "alice", f"/s/{sid}/live"),
        "my submissions page": _page(world, "alice", "/me/submissions"),
        "my submissions api": world.get("alice", "/api/v1/me/submissions").text,
        "course list": world.get("alice", "/api/v1/courses/dl/submissions").text,
        "events": _events(world, "alice", sid),
        # Gradescope shows results.json to the student: an instructor fetches it, its content is the student's.
        "results.json": world.get("ian", f"/api/v1/submissions/{sid}/results.json").text,
    }
    assert {where: exposed(text) for where, text in answers.items() if exposed(text)} == {}
    body = json.loads(answers["api"])
    assert body["metrics"] == {} and "grading_seconds" not in {k for k, v in body.items() if v is not None}
    hidden = [t for t in body["tests"] if not t["visible"]]
    assert [t["name"] for t in hidden] == ["hidden test 1", "hidden test 2"]
    assert all(t["stage"] is None and t["seconds"] is None and t["accuracy"] is None for t in hidden)
    assert "execution_time" not in json.loads(answers["results.json"])


def test_staff_see_everything_the_hidden_runs_wrote(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    body = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert {t["name"] for t in body["tests"]} >= set(HIDDEN_NAMES)
    assert 31337.0 in body["metrics"]["history"]["train_accuracy"]
    stress = next(t for t in body["tests"] if t["name"] == "softmax_large_logits")
    assert stress["stage"] == "ran" and "LEAK" in stress["feedback"] and stress["seconds"] is not None
    page = _page(world, "ian", f"/s/{sid}")
    assert "softmax_large_logits" in page and "Training history of train_accuracy" in page


def test_a_student_sees_hidden_tests_in_full_once_the_problem_reveals_them(world: World) -> None:
    sid = world.submit("alice", "toy-classifier", {"clf.py": SOURCE}).json()["id"]
    wait_graded(world, "alice", sid, timeout=120)
    problem = "/api/v1/courses/dl/problems/toy-classifier"
    world.patch("ian", problem, json={"deadline": "2020-01-01T00:00:00+00:00", "reveal_hidden_after_deadline": True})
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert "train_accuracy" in body["metrics"]["history"]
    assert {t["name"] for t in body["tests"]} >= set(HIDDEN_NAMES)
