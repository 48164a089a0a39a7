"""Release dates, held results, which submission counts (best, latest, the student's choice), and the LMS exports.

Results are real: each file is graded once in the real sandbox and stored through the worker's path (see
test_overview.py); the rules run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.db.models import Counting, Course, Problem, Role, Submission
from app.grades.counting import CountReason, counting_submissions
from app.web.session import COOKIE
from grader.bundle import Bundle
from grader.grading import GradeReport, ReferenceCache, grade_files
from grader.sandbox import Sandbox
from tests.app.conftest import World, WorldFactory, load_toy
from tests.app.test_overview import store

PROBLEM = "/api/v1/courses/dl/problems/toy-layers"


@pytest.fixture(scope="module")
def graded(toy_layers: Bundle, sandbox: Sandbox, reference_cache: ReferenceCache) -> dict[str, GradeReport]:
    """Three files graded for real: right (6 points), a known mistake (3) and the starter (0)."""
    solution = toy_layers.files["solution/toy.py"].decode()
    sources = {
        "right": solution,
        "mse_sum": solution + "\n\n" + toy_layers.files["mistakes/mse_sum.py"].decode(),
        "starter": toy_layers.files["starter/toy.py"].decode(),
    }
    out = {n: grade_files(toy_layers, {"toy.py": s.encode()}, sandbox, reference_cache) for n, s in sources.items()}
    assert {k: r.score for k, r in out.items()} == {"right": 6, "mse_sum": 3, "starter": 0}
    return out


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _counting(world: World, **kw: object) -> dict[str, tuple[int, str]]:
    with world.db.read() as session:
        course = session.scalar(select(Course).where(Course.slug == "dl"))
        assert course is not None
        found = counting_submissions(session, course, **kw)  # type: ignore[arg-type]
        names = {s.user_id: s.user.username for s in (c.submission for c in found.values())}
        return {names[uid]: (c.submission.id, c.reason.value) for (uid, _), c in found.items()}


def _page(world: World, who: str, path: str) -> Any:
    return world.client.get(path, headers={"Cookie": f"{COOKIE}={world.tokens[who]}"})


def _gradebook(world: World, query: str = "") -> list[dict[str, str]]:
    answer = world.get("ian", f"/api/v1/courses/dl/gradebook.csv{query}")
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


# --- release dates -----------------------------------------------------------------------------------------


def test_a_problem_before_its_release_date_is_not_found_for_students_and_marked_for_staff(world: World) -> None:
    later = (utcnow() + dt.timedelta(days=3)).isoformat()
    assert world.patch("ian", PROBLEM, json={"opens_at": later}).json()["opens_at"] is not None
    assert world.get("alice", "/api/v1/courses/dl/problems").json() == []
    for path in (PROBLEM, f"{PROBLEM}/starter.zip"):
        answer = world.get("alice", path)
        assert answer.status_code == 404 and "no problem 'toy-layers'" in answer.json()["detail"]
    assert world.submit("alice", "toy-layers", {"toy.py": b"x = 1\n"}).status_code == 404
    assert [p["slug"] for p in world.get("ian", "/api/v1/courses/dl/problems").json()] == ["toy-layers"]
    assert world.get("ian", PROBLEM).status_code == 200
    staff_page = _page(world, "ian", "/c/dl")
    assert "opens at" in staff_page.text
    student_page = _page(world, "alice", "/c/dl")
    assert "toy-layers" not in student_page.text and "Toy" not in student_page.text.split("<table", 1)[1]


def test_a_problem_opens_at_its_release_date(world: World) -> None:
    earlier = (utcnow() - dt.timedelta(minutes=1)).isoformat()
    world.patch("ian", PROBLEM, json={"opens_at": earlier})
    assert world.get("alice", PROBLEM).status_code == 200
    assert world.patch("ian", PROBLEM, json={"clear_opens_at": True}).json()["opens_at"] is None


def test_a_release_date_without_a_time_zone_is_refused_with_what_to_write(world: World) -> None:
    answer = world.patch("ian", PROBLEM, json={"opens_at": "2026-12-01T10:00:00"})
    assert answer.status_code == 422 and "time zone" in answer.json()["detail"]
    assert world.patch("ian", PROBLEM, json={"counting": "worst"}).status_code == 422
    edge = world.patch("ian", PROBLEM, json={"results_release_at": "9999-12-31T23:59:00-05:00"})
    assert edge.status_code == 422 and "out of range" in edge.json()["detail"]


# --- held results ------------------------------------------------------------------------------------------


def test_held_results_show_received_until_released(world: World, graded: dict[str, GradeReport]) -> None:
    assert world.patch("ian", PROBLEM, json={"results_held": True}).json()["results_held"] is True
    sid = store(world, "alice", graded["mse_sum"])
    held = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (held["status"], held["score"], held["tests"], held["results_released"]) == ("received", None, [], False)
    listed = world.get("alice", "/api/v1/me/submissions").json()[0]
    assert (listed["status"], listed["score"], listed["max_score"]) == ("received", None, None)
    staff = world.get("ian", f"/api/v1/submissions/{sid}").json()
    assert (staff["status"], staff["score"], staff["results_released"]) == ("graded", 3.0, True)
    assert world.post("alice", f"{PROBLEM}/release").status_code == 403
    assert world.post("ian", f"{PROBLEM}/release").json()["results_held"] is False
    released = world.get("alice", f"/api/v1/submissions/{sid}").json()
    assert (released["status"], released["score"], len(released["tests"])) == ("graded", 3.0, 4)


def test_a_regrade_request_waits_until_the_results_are_released(world: World, graded: dict[str, GradeReport]) -> None:
    world.patch("ian", PROBLEM, json={"results_held": True})
    sid = store(world, "alice", graded["mse_sum"])
    asked = world.post("alice", f"/api/v1/submissions/{sid}/regrade-requests", json={"reason": "please look"})
    assert asked.status_code == 422
    assert asked.json()["detail"] == ("the results of toy-layers are not released yet: ask for a regrade once they are")
    page = _page(world, "alice", f"/s/{sid}").text
    assert "data-ask-form" not in page and "Ask for a regrade" not in page
    world.post("ian", f"{PROBLEM}/release")
    assert "data-ask-form" in _page(world, "alice", f"/s/{sid}").text
    again = world.post("alice", f"/api/v1/submissions/{sid}/regrade-requests", json={"reason": "please look"})
    assert again.status_code == 201, again.text


def test_held_results_are_released_at_their_time(world: World, graded: dict[str, GradeReport]) -> None:
    later = (utcnow() + dt.timedelta(hours=1)).isoformat()
    summary = world.patch("ian", PROBLEM, json={"results_release_at": later}).json()
    assert summary["results_held"] is True and summary["results_release_at"] is not None
    sid = store(world, "alice", graded["right"])
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["status"] == "received"
    with world.db.session() as session:
        problem = session.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        assert problem is not None
        problem.results_release_at = utcnow() - dt.timedelta(seconds=1)
    assert world.get("alice", f"/api/v1/submissions/{sid}").json()["score"] == 6.0


# --- which submission counts -------------------------------------------------------------------------------


def test_best_counts_by_default_and_latest_when_the_problem_says_so(
    world: World, graded: dict[str, GradeReport]
) -> None:
    right = store(world, "alice", graded["right"])
    later = store(world, "alice", graded["mse_sum"])
    assert _counting(world) == {"alice": (right, "best")}
    world.patch("ian", PROBLEM, json={"counting": "latest"})
    assert _counting(world) == {"alice": (later, "latest")}
    assert _counting(world, override=Counting.BEST) == {"alice": (right, "best")}


def test_a_student_chooses_an_earlier_submission_until_a_newer_one(
    world: World, graded: dict[str, GradeReport]
) -> None:
    first = store(world, "alice", graded["starter"])
    best = store(world, "alice", graded["right"])
    answer = world.post("alice", f"/api/v1/submissions/{first}/activate")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"problem": "toy-layers", "submission_id": first, "reason": "chosen by the student"}
    assert _counting(world) == {"alice": (first, CountReason.CHOSEN.value)}
    rows = _gradebook(world)
    alice = next(r for r in rows if r["username"] == "alice")
    assert (alice["toy-layers"], alice["toy-layers:submission"], alice["toy-layers:counts"]) == (
        "0",
        str(first),
        "chosen by the student",
    )
    # `pick` overrides the rule and the choice, as the gradebook's pick always did
    picked = next(r for r in _gradebook(world, "?pick=best") if r["username"] == "alice")
    assert (picked["toy-layers:submission"], picked["toy-layers:counts"]) == (str(best), "best")
    # a new submission ends the choice: the rule picks again
    newest = store(world, "alice", graded["mse_sum"])
    assert _counting(world) == {"alice": (best, "best")}
    assert newest != best


def test_only_a_graded_own_submission_before_the_deadline_can_be_chosen(
    world: World, graded: dict[str, GradeReport]
) -> None:
    sid = store(world, "alice", graded["mse_sum"])
    queued = world.submit("alice", "toy-layers", {"toy.py": b"x = 1\n"}).json()["id"]
    refused = world.post("alice", f"/api/v1/submissions/{queued}/activate")
    assert refused.status_code == 422 and "only a graded submission" in refused.json()["detail"]
    assert world.post("bob", f"/api/v1/submissions/{sid}/activate").status_code == 404
    assert world.post("ian", f"/api/v1/submissions/{sid}/activate").status_code == 403
    world.patch("ian", PROBLEM, json={"deadline": "2020-01-01T00:00:00+00:00"})
    late = world.post("alice", f"/api/v1/submissions/{sid}/activate")
    assert late.status_code == 403 and "can no longer be changed" in late.json()["detail"]
    with world.db.read() as session:
        assert session.get_one(Submission, sid).activated_at is None


def test_the_overview_counts_the_chosen_submission(world: World, graded: dict[str, GradeReport]) -> None:
    first = store(world, "alice", graded["starter"])
    store(world, "alice", graded["right"])

    def overview() -> str:
        return str(_page(world, "ian", "/c/dl/overview").text)

    assert "passes every test" in overview()  # the best, right, counts
    assert world.post("alice", f"/api/v1/submissions/{first}/activate").status_code == 200
    chosen = overview()  # now the starter she chose counts, and it fails tests
    assert "passes every test" not in chosen and "Students whose counting submission fails this test" in chosen


# --- LMS exports -------------------------------------------------------------------------------------------


def test_the_canvas_export_has_points_possible_and_the_counting_points(
    world: World, graded: dict[str, GradeReport]
) -> None:
    store(world, "alice", graded["right"])
    with world.db.session() as session:
        from app.accounts.service import get_user

        get_user(session, "bob").full_name = "=cmd|' /C calc'!A0"
    text = world.get("ian", "/api/v1/courses/dl/gradebook.csv?format=canvas").text
    rows = list(csv.reader(io.StringIO(text)))
    title = rows[0][5]
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert title.endswith("(toy-layers)")
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "6"
    by_login = {r[2]: r for r in rows[2:]}
    assert by_login["alice"][5] == "6" and by_login["bob"][5] == ""
    assert by_login["bob"][0].startswith("'=")  # a formula in a name is defused


def test_the_moodle_export_has_an_identifier_and_one_column_per_problem(
    world: World, graded: dict[str, GradeReport]
) -> None:
    store(world, "alice", graded["mse_sum"])
    rows = list(csv.reader(io.StringIO(world.get("ian", "/api/v1/courses/dl/gradebook.csv?format=moodle").text)))
    assert rows[0][:2] == ["Username", "Email address"] and rows[0][2].endswith("(toy-layers)")
    assert {r[0]: r[2] for r in rows[1:]} == {"alice": "3", "bob": ""}


def test_an_unknown_export_format_or_a_pick_with_an_lms_format_is_refused(world: World) -> None:
    assert world.get("ian", "/api/v1/courses/dl/gradebook.csv?format=blackboard").status_code == 422
    both = world.get("ian", "/api/v1/courses/dl/gradebook.csv?format=canvas&pick=latest")
    assert both.status_code == 422 and "pick applies to the plain gradebook" in both.json()["detail"]
    assert world.get("alice", "/api/v1/courses/dl/gradebook.csv?format=canvas").status_code == 403


# --- the demo course ---------------------------------------------------------------------------------------


def test_a_new_demo_course_shows_each_release_setting_and_a_later_run_keeps_the_instructors(world: World) -> None:
    from app.setup import DEMO_HELD, DEMO_LATEST, DEMO_OPENS_LATER, ensure_demo

    passwords = {"instructor": "demo-instructor-pw", "ta": "demo-ta-pw", "student": "demo-student-pw"}
    with world.db.session() as session:
        ensure_demo(session, passwords)
    with world.db.session() as session:
        found = {p.slug: p for p in session.scalars(select(Problem).join(Course).where(Course.slug == "demo"))}
        assert found[DEMO_OPENS_LATER].opens_at is not None and found[DEMO_OPENS_LATER].opens_at > utcnow()
        assert found[DEMO_HELD].results_held is True
        assert found[DEMO_LATEST].counting is Counting.LATEST
        found[DEMO_HELD].results_held = False  # the instructor releases
    with world.db.session() as session:
        ensure_demo(session, passwords)
    with world.db.read() as session:
        held = session.scalar(select(Problem).join(Course).where(Course.slug == "demo", Problem.slug == DEMO_HELD))
        assert held is not None and held.results_held is False
