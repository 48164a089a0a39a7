"""Held results: every answer a student can ask for about a held submission says "received" and carries nothing
of its score, tests, feedback or likely causes; staff see it all; releasing shows the student everything."""

from __future__ import annotations

import json
import re

import pytest

from app.db.models import Role
from app.web.session import COOKIE
from grader.bundle import Bundle
from grader.grading import GradeReport, ReferenceCache, grade_files
from grader.sandbox import Sandbox
from tests.app.conftest import World, WorldFactory, load_toy
from tests.app.test_overview import store

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture(scope="module")
def mistaken(toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache) -> GradeReport:
    """A known mistake graded for real: some tests fail with feedback and a likely cause."""
    source = toy_layers.files["solution/toy.py"].decode() + "\n\n" + toy_layers.files["mistakes/mse_sum.py"].decode()
    report = grade_files(toy_layers, {"toy.py": source.encode()}, sandbox, reference_cache)
    assert report.score == 3 and any(t.diagnosis for t in report.tests)
    return report


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    assert world.patch("ian", PROBLEM, json={"results_held": True}).status_code == 200
    return world


def _page(world: World, who: str, path: str) -> str:
    response = world.client.get(path, headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})
    assert response.status_code == 200, response.text
    return str(response.text)


def _without_own_files(page: str) -> str:
    """The page without the "Submitted files" section: the student's own source names its functions."""
    return re.sub(r'<section aria-labelledby="files-h".*?</section>', "", page, flags=re.S)


def _events(world: World, who: str, sid: int) -> str:
    with world.client.stream("GET", f"/api/v1/submissions/{sid}/events", headers=world.headers(who)) as stream:
        return "".join(stream.iter_text())


def _secrets(report: GradeReport) -> list[str]:
    """What of the result must not reach a held student: feedback lines, likely causes, failing tests' names."""
    failing = [t for t in report.tests if not t.passed]
    assert failing
    out = [t.name for t in failing]
    out += [line for t in failing for line in t.feedback.splitlines() if len(line) > 12]
    out += [d for t in failing for d in t.diagnosis]
    return out


def _score_shown(text: str) -> list[str]:
    patterns = [r'"score":\s*3', r'"raw_score":\s*3', r'"max_score":\s*6', r"\b3 / 6\b", r"data-score", r"<polyline"]
    return [p for p in patterns if re.search(p, text)]


def _student_answers(world: World, sid: int) -> dict[str, str]:
    return {
        "api submission": world.get("alice", f"/api/v1/submissions/{sid}").text,
        "api events": _events(world, "alice", sid),
        "api my submissions": world.get("alice", "/api/v1/me/submissions").text,
        "api course submissions": world.get("alice", "/api/v1/courses/dl/submissions").text,
        "submission page": _without_own_files(_page(world, "alice", f"/s/{sid}")),
        "live fragment": _page(world, "alice", f"/s/{sid}/live"),
        "my submissions page": _page(world, "alice", "/me/submissions"),
        "course page": _page(world, "alice", "/c/dl"),
        "problem page": _page(world, "alice", "/c/dl/p/toy-layers"),
    }


def test_no_student_answer_about_a_held_submission_carries_its_result(world: World, mistaken: GradeReport) -> None:
    sid = store(world, "alice", mistaken)
    answers = _student_answers(world, sid)
    secrets = _secrets(mistaken)
    # the problem page lists the problem's tests by name (as the API's problem read does): only results count there
    named = {"problem page", "course page"}
    leaks = {
        where: [s for s in secrets if s in text and not (where in named and s in {t.name for t in mistaken.tests})]
        + _score_shown(text)
        for where, text in answers.items()
    }
    assert {where: found for where, found in leaks.items() if found} == {}
    body = json.loads(answers["api submission"])
    assert (body["status"], body["tests"], body["metrics"], body["results_released"]) == ("received", [], {}, False)
    assert '"status": "received"' in answers["api events"] and "event: end" in answers["api events"]
    for where in ("submission page", "live fragment"):
        assert "results not released yet" in answers[where]
    assert "results not released yet" in answers["course page"]
    assert "Results not released yet" in answers["problem page"]
    # results.json is for instructors, and an instructor sees everything of the submission
    assert world.get("alice", f"/api/v1/submissions/{sid}/results.json").status_code == 403
    staff = world.get("ian", f"/api/v1/submissions/{sid}").text
    assert all(s in staff for s in secrets) and _score_shown(staff)
    assert "Likely cause" in _page(world, "ian", f"/s/{sid}")


def test_after_the_release_the_student_sees_the_result(world: World, mistaken: GradeReport) -> None:
    sid = store(world, "alice", mistaken)
    assert world.post("ian", f"{PROBLEM}/release").status_code == 200
    answers = _student_answers(world, sid)
    body = json.loads(answers["api submission"])
    assert (body["status"], body["score"], body["results_released"]) == ("graded", 3.0, True)
    assert "data-score" in answers["submission page"] and "Likely cause" in answers["submission page"]
    assert "not released" not in answers["course page"] + answers["my submissions page"]
