"""Manual adjustments and regrade requests, through the API on both databases, with real grading and regrades."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from sqlalchemy import select

from app.adjustments.service import adjusted
from app.courses.overview import course_overview
from app.db.models import Course, Role, ScoreAdjustment
from app.problems.service import add_version
from grader.bundle import bundle_from_files
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("tara", role=Role.TA)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _graded(world: World, who: str = "alice") -> int:
    sid = int(world.submit(who, "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"])
    assert wait_graded(world, who, sid)["score"] == 6
    return sid


def _adjust(world: World, who: str, sid: int, **body: Any) -> Any:
    return world.post(who, f"/api/v1/submissions/{sid}/adjustments", json=body)


def test_the_adjusted_score_is_the_score_plus_adjustments_within_zero_and_the_maximum() -> None:
    assert adjusted(8, 2, 10) == 10
    assert adjusted(8, 5, 10) == 10
    assert adjusted(1, -3, 10) == 0
    assert adjusted(7.5, -0.5, 10) == 7
    assert adjusted(None, 2, 10) is None


def test_adjustments_add_up_are_kept_forever_and_a_removal_is_a_new_row(world: World) -> None:
    sid = _graded(world)
    down = _adjust(world, "tara", sid, points=-2, comment="hard-coded the shapes")
    assert down.status_code == 201 and down.json()["author"] == "tara"
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (body["score"], body["adjustment"], body["adjusted_score"]) == (6, -2, 4)
    assert _adjust(world, "ian", sid, points=5, comment="bonus").json()["points"] == 5
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["adjusted_score"] == 6  # 9 is past the maximum
    removal = _adjust(world, "ian", sid, cancels=down.json()["id"], comment="the shapes were fine after all")
    assert removal.status_code == 201 and removal.json()["points"] == 2
    again = _adjust(world, "ian", sid, cancels=down.json()["id"], comment="once more")
    assert again.status_code == 409 and "already removed" in again.json()["detail"]
    mine = world.get("alice", f"/api/v1/submissions/{sid}/adjustments").json()
    assert [(a["points"], a["comment"], a["author"]) for a in mine] == [
        (-2, "hard-coded the shapes", None),  # students read comments, not who wrote them
        (5, "bonus", None),
        (2, "the shapes were fine after all", None),
    ]
    assert mine[0]["cancelled_by"] == mine[2]["id"] and mine[2]["cancels"] == mine[0]["id"]
    assert [a["author"] for a in world.get("tara", f"/api/v1/submissions/{sid}/adjustments").json()] == [
        "tara",
        "ian",
        "ian",
    ]
    with world.db.read() as session:
        assert len(session.scalars(select(ScoreAdjustment)).all()) == 3
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (body["adjustment"], body["adjusted_score"]) == (5, 6)  # -2 + 5 + 2, within the maximum
    assert body["adjustments"][0]["comment"] == "hard-coded the shapes"


def test_an_adjustment_without_a_comment_points_or_permission_is_refused(world: World) -> None:
    sid = _graded(world)
    cases = [
        ("tara", {"points": 1, "comment": "   "}, 422, "comment is empty"),
        ("tara", {"points": 0, "comment": "x"}, 422, "other than 0"),
        ("tara", {"comment": "x"}, 422, "points are missing"),
        ("tara", {"points": 1, "cancels": 1, "comment": "x"}, 422, "not both"),
        ("tara", {"points": 1e9, "comment": "x"}, 422, "too many"),
        ("tara", {"points": 1e-300, "comment": "x"}, 422, "too few"),
        ("tara", {"points": 1, "comment": "a\x00b"}, 422, "NUL"),
        ("tara", {"cancels": 99999, "comment": "x"}, 404, "no adjustment 99999"),
        ("alice", {"points": 1, "comment": "I deserve it"}, 403, "only instructors and TAs"),
        ("bob", {"points": 1, "comment": "x"}, 404, "no submission"),
    ]
    for who, body, status, words in cases:
        answer = _adjust(world, who, sid, **body)
        assert (answer.status_code, words in answer.json()["detail"]) == (status, True), (who, body, answer.json())
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["adjustment"] == 0


def _version_worth_more(world: World) -> None:
    bundle = load_toy("toy-layers")
    files = dict(bundle.files)
    files["problem.toml"] = files["problem.toml"].replace(b"points = 2", b"points = 4")
    with world.db.session() as session:
        from app.db.models import Problem

        problem = session.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        add_version(session, problem, bundle_from_files(files, "v2"), None, None)


def test_a_regrade_keeps_adjustments_and_says_so(world: World) -> None:
    sid = _graded(world)
    other = _graded(world, "bob")
    assert _adjust(world, "tara", sid, points=-1, comment="no docstrings").status_code == 201
    _version_worth_more(world)
    regrade = world.post("ian", f"{PROBLEM}/regrades", json={}).json()
    path = f"{PROBLEM}/regrades/{regrade['id']}"
    for _ in range(1200):
        view = world.get("ian", path).json()
        if view["done"]:
            break
        time.sleep(0.05)
    assert view["done"] and view["adjusted"] == 1
    page = world.client.get(f"/c/dl/p/toy-layers/regrades/{regrade['id']}", headers=_cookie(world, "ian"))
    assert "1 submission has manual adjustments; they are kept" in page.text
    assert world.post("ian", f"{path}/apply").status_code == 200
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (body["score"], body["max_score"], body["adjustment"], body["adjusted_score"]) == (10, 10, -1, 9)
    assert [a["comment"] for a in body["adjustments"]] == ["no docstrings"]
    assert world.get("bob", f"/api/v1/submissions/{other}").json()["adjusted_score"] == 10


def _cookie(world: World, who: str) -> dict[str, str]:
    from app.web.session import COOKIE

    return {"Cookie": f"{COOKIE}={world.tokens[who]}"}


def test_the_gradebook_and_the_overview_count_the_adjusted_score(world: World) -> None:
    first = _graded(world)
    second = _graded(world)
    assert _adjust(world, "tara", second, points=-4, comment="late by agreement").status_code == 201
    rows = list(csv.DictReader(io.StringIO(world.get("tara", "/api/v1/courses/dl/gradebook.csv").text)))
    alice = next(r for r in rows if r["username"] == "alice")
    assert (alice["toy-layers"], alice["toy-layers:submission"]) == ("6", str(first))  # the best adjusted score
    latest = world.get("tara", "/api/v1/courses/dl/gradebook.csv?pick=latest").text
    alice = next(r for r in csv.DictReader(io.StringIO(latest)) if r["username"] == "alice")
    assert (alice["toy-layers"], alice["toy-layers:submission"], alice["total"]) == ("2", str(second), "2")
    assert _adjust(world, "ian", first, points=-6, comment="copied").status_code == 201
    with world.db.read() as session:
        course = session.scalar(select(Course).where(Course.slug == "dl"))
        assert course is not None
        stats = course_overview(session, course)
    assert stats[0].best_scores == [2.0]  # the first is now worth 0: the second (2) is the best
    table = world.client.get("/c/dl/submissions.csv?sort=score&dir=desc", headers=_cookie(world, "tara")).text
    lines = list(csv.DictReader(io.StringIO(table)))
    assert [(r["id"], r["score"], r["adjustment"], r["adjusted_score"]) for r in lines] == [
        (str(second), "6", "-4", "2"),
        (str(first), "6", "-6", "0"),
    ]


def test_a_regrade_request_is_asked_answered_with_an_adjustment_and_read(world: World) -> None:
    sid = _graded(world)
    url = f"/api/v1/submissions/{sid}/regrade-requests"
    asked = world.post("alice", url, json={"reason": "my relu handles 0 like the statement says"})
    assert asked.status_code == 201 and asked.json()["state"] == "open"
    twice = world.post("alice", url, json={"reason": "again"})
    assert twice.status_code == 409 and "still open" in twice.json()["detail"]
    assert world.post("alice", url, json={"reason": "  "}).status_code == 422
    assert world.post("alice", url, json={"reason": "x" * 2001}).status_code == 422
    assert world.post("bob", url, json={"reason": "hers"}).status_code == 404
    queue = world.get("tara", "/api/v1/courses/dl/regrade-requests").json()
    assert [(r["id"], r["state"], r["student"]) for r in queue] == [(asked.json()["id"], "open", "alice")]
    assert world.get("alice", "/api/v1/courses/dl/regrade-requests").status_code == 403
    rid = asked.json()["id"]
    answer = world.post("tara", f"/api/v1/regrade-requests/{rid}/answer", json={"answer": "you are right", "points": 1})
    assert answer.status_code == 200
    assert (answer.json()["state"], answer.json()["answered_by"]) == ("answered", "tara")
    assert answer.json()["adjustment_id"] is not None
    assert world.post("ian", f"/api/v1/regrade-requests/{rid}/answer", json={"answer": "no"}).status_code == 409
    seen = world.get("alice", url).json()
    assert [(r["state"], r["answer"], r["answered_by"]) for r in seen] == [("answered", "you are right", None)]
    body = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (body["adjustment"], body["adjusted_score"]) == (1, 6)
    assert [(a["points"], a["comment"]) for a in body["adjustments"]] == [(1, "you are right")]
    # Answered: the student may ask again, and withdraw it; the queue shows the open one first.
    second = world.post("alice", url, json={"reason": "and test 3?"}).json()["id"]
    queue = world.get("ian", "/api/v1/courses/dl/regrade-requests").json()
    assert [r["id"] for r in queue] == [second, rid]
    assert [r["id"] for r in world.get("ian", "/api/v1/courses/dl/regrade-requests?state=open").json()] == [second]
    assert world.post("tara", f"/api/v1/regrade-requests/{second}/withdraw").status_code == 404
    withdrawn = world.post("alice", f"/api/v1/regrade-requests/{second}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "closed"
    assert world.post("alice", f"/api/v1/regrade-requests/{second}/withdraw").status_code == 409
    assert world.post("tara", f"/api/v1/regrade-requests/{second}/answer", json={"answer": "x"}).status_code == 409


def test_a_roster_may_name_tas_and_an_unknown_role_says_which_are_allowed(world: World) -> None:
    files = {"roster": ("r.csv", b"username,role\ncarol,ta\ndave,teacher\n", "text/csv")}
    refused = world.post("ian", "/api/v1/courses/dl/roster", files=files)
    assert refused.status_code == 422 and "'student', 'ta' or 'instructor'" in refused.json()["errors"][0]
    files = {"roster": ("r.csv", b"username,role\ncarol,ta\n", "text/csv")}
    assert world.post("ian", "/api/v1/courses/dl/roster", files=files).json()["invited"] == ["carol"]
    roster = {m["username"]: m["role"] for m in world.get("ian", "/api/v1/courses/dl/roster").json()}
    assert roster["carol"] == "ta" and roster["tara"] == "ta"
    assert world.get("tara", "/api/v1/courses/dl").json()["role"] == "ta"


def test_the_demo_shows_an_adjustment_and_an_open_request_once_the_student_has_a_graded_submission(
    sqlite_url: str,
) -> None:
    from app.db import Database
    from app.db.models import Problem, RegradeRequest, Submission, SubmissionState, User
    from app.setup import ensure_demo

    db = Database(sqlite_url)
    passwords = {"instructor": "password-instructor", "ta": "password-ta", "student": "password-student"}
    try:
        with db.session() as session:
            course, logins, changed = ensure_demo(session, passwords)
            assert [(login.username, login.role) for login in logins] == [
                ("instructor", "instructor"),
                ("ta", "ta"),
                ("student", "student"),
            ]
            assert not any(line.startswith("demo:") for line in changed)  # nothing graded yet
            student = session.scalar(select(User).where(User.username == "student"))
            problem = session.scalar(select(Problem).where(Problem.course_id == course.id).limit(1))
            assert student is not None and problem is not None and problem.current_version_id is not None
            session.add(
                Submission(
                    problem_id=problem.id,
                    version_id=problem.current_version_id,
                    user_id=student.id,
                    state=SubmissionState.GRADED,
                    score=3.0,
                    raw_score=3.0,
                    max_score=10.0,
                )
            )
        for _ in range(2):  # a second run adds nothing more
            with db.session() as session:
                ensure_demo(session, passwords)
        with db.read() as session:
            adjustments = session.scalars(select(ScoreAdjustment)).all()
            requests = session.scalars(select(RegradeRequest)).all()
            assert [(a.points, a.author.username if a.author else None) for a in adjustments] == [(1.0, "ta")]
            assert [(r.state.value, r.student.username) for r in requests] == [("open", "student")]
            assert session.scalar(select(Submission.adjustment)) == 1.0
    finally:
        db.dispose()
