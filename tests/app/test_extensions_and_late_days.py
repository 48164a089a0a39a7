"""Extensions (a student's own deadline and extra quota) and late days, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from app.courses import deadlines
from app.db import utcnow
from app.db.models import Course, Extension, Problem, Role, Submission
from tests.app.conftest import World, WorldFactory, load_toy, solution_of, wait_graded

COURSE = "/api/v1/courses/dl"
LAYERS = f"{COURSE}/problems/toy-layers"
FILES = solution_of(load_toy("toy-layers"))


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    return world


def _deadline(world: World, days_ago: float, slug: str = "toy-layers") -> dt.datetime:
    """Move the problem's deadline to `days_ago` days before now (what time passing would do)."""
    when = utcnow() - dt.timedelta(days=days_ago)
    answer = world.patch("ian", f"{COURSE}/problems/{slug}", json={"deadline": when.isoformat()})
    assert answer.status_code == 200, answer.text
    return when


def _late_days(world: World, bank: int, *, max_on: dict[str, int]) -> None:
    assert world.client.patch(f"{COURSE}", headers=world.headers("ian"), json={"late_days": bank}).status_code == 200
    for slug, days in max_on.items():
        assert world.patch("ian", f"{COURSE}/problems/{slug}", json={"late_days_max": days}).status_code == 200


def _put(world: World, who: str, student: str, body: dict[str, Any], slug: str = "toy-layers") -> Any:
    return world.client.put(f"{COURSE}/problems/{slug}/extensions/{student}", headers=world.headers(who), json=body)


def _submitted(world: World, who: str) -> dict[str, Any]:
    answer = world.submit(who, "toy-layers", FILES)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = world.get(who, f"/api/v1/submissions/{answer.json()['id']}").json()
    return body


def test_a_students_extension_is_their_deadline_everywhere_and_only_theirs(world: World) -> None:
    problem_deadline = _deadline(world, 1)
    assert world.patch("ian", LAYERS, json={"late_policy": "reject"}).status_code == 200
    own = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    answer = _put(world, "ian", "alice", {"deadline": own.isoformat(), "reason": "illness"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["created_by"] == "ian"

    alice = world.get("alice", LAYERS).json()
    assert (dt.datetime.fromisoformat(alice["deadline"]), alice["extended"]) == (own, True)
    assert abs(dt.datetime.fromisoformat(alice["problem_deadline"]) - problem_deadline) < dt.timedelta(seconds=1)
    listed = world.get("alice", f"{COURSE}/problems").json()[0]
    assert dt.datetime.fromisoformat(listed["deadline"]) == own
    bob = world.get("bob", LAYERS).json()
    assert bob["extended"] is False
    assert dt.datetime.fromisoformat(bob["deadline"]) == dt.datetime.fromisoformat(bob["problem_deadline"])

    assert _submitted(world, "alice")["late"] is False  # before her own deadline
    refused = world.submit("bob", "toy-layers", FILES)
    assert refused.status_code == 403
    assert "does not accept late submissions" in refused.json()["detail"]


def test_an_extension_of_the_quota_adds_submissions_for_that_student(world: World) -> None:
    assert world.patch("ian", LAYERS, json={"quota_count": 1, "quota_window_seconds": 3600}).status_code == 200
    assert _put(world, "ian", "alice", {"extra_quota": 2}).status_code == 200
    codes = [world.submit("alice", "toy-layers", FILES).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert [world.submit("bob", "toy-layers", FILES).status_code for _ in range(2)] == [202, 429]
    assert world.get("alice", LAYERS).json()["extra_quota"] == 2


def test_late_days_spend_the_most_days_a_problem_needed_not_the_sum(world: World) -> None:
    _late_days(world, 4, max_on={"toy-layers": 3})
    _deadline(world, 0.5)  # one day late
    first = _submitted(world, "alice")
    assert (first["late"], first["late_days"]) == (False, 1)
    assert world.get("alice", f"{COURSE}/late-days").json() | {"problems": None} == {
        "bank": 4, "used": 1, "left": 3, "problems": None, "students": None
    }  # fmt: skip
    _deadline(world, 2.5)  # now three days late: two more days, not three
    second = _submitted(world, "alice")
    assert (second["late"], second["late_days"]) == (False, 3)
    again = _submitted(world, "alice")  # three days again: nothing more
    assert (again["late"], again["late_days"]) == (False, 3)
    mine = world.get("alice", f"{COURSE}/late-days").json()
    assert (mine["used"], mine["left"], mine["problems"]) == (3, 1, [{"problem": "toy-layers", "days": 3}])
    _deadline(world, 3.5)  # four days: more than the problem allows, so late and nothing spent
    beyond = _submitted(world, "alice")
    assert (beyond["late"], beyond["late_days"]) == (True, 0)
    staff = world.get("ian", f"{COURSE}/late-days").json()
    assert {s["username"]: (s["used"], s["left"]) for s in staff["students"]} == {"alice": (3, 1), "bob": (0, 4)}
    gradebook = list(csv.DictReader(io.StringIO(world.get("ian", f"{COURSE}/gradebook.csv?pick=latest").text)))
    assert {r["username"]: r["late_days_used"] for r in gradebook} == {"alice": "3", "bob": "0"}


def test_late_days_count_from_the_students_own_deadline(world: World) -> None:
    _late_days(world, 2, max_on={"toy-layers": 2})
    _deadline(world, 5)
    own = utcnow() - dt.timedelta(hours=2)
    assert _put(world, "ian", "alice", {"deadline": own.isoformat()}).status_code == 200
    assert _submitted(world, "alice")["late_days"] == 1
    assert _submitted(world, "bob")["late"] is True  # five days: beyond the problem's two


def test_the_reject_policy_gives_way_to_late_days_and_says_why_when_they_do_not_cover(world: World) -> None:
    assert world.patch("ian", LAYERS, json={"late_policy": "reject"}).status_code == 200
    _late_days(world, 1, max_on={"toy-layers": 1})
    _deadline(world, 0.25)
    assert _submitted(world, "alice")["late"] is False
    _deadline(world, 1.5)
    refused = world.submit("alice", "toy-layers", FILES)
    assert refused.status_code == 403
    assert "it would need 2 late day(s); at most 1 may be used on this problem" in refused.json()["detail"]
    assert _late_days(world, 1, max_on={"toy-layers": 2}) is None
    refused = world.submit("alice", "toy-layers", FILES)
    assert "it would need 2 late day(s) and you have 0 left" in refused.json()["detail"]


def test_hidden_tests_are_revealed_only_after_every_extension_has_passed(world: World) -> None:
    assert world.patch("ian", LAYERS, json={"reveal_hidden_after_deadline": True}).status_code == 200
    _deadline(world, 1)
    later = utcnow() + dt.timedelta(days=2)
    assert _put(world, "ian", "alice", {"deadline": later.isoformat()}).status_code == 200
    with world.db.read() as session:
        problem = session.scalars(select(Problem)).one()
        assert deadlines.reveals_hidden(session, problem) is False  # alice may still submit
        assert deadlines.reveals_hidden(session, problem, later + dt.timedelta(seconds=1)) is True
    assert world.delete("ian", f"{LAYERS}/extensions/alice").status_code == 204
    with world.db.read() as session:
        assert deadlines.reveals_hidden(session, session.scalars(select(Problem)).one()) is True


def test_editing_an_extension_replaces_it_and_keeps_who_set_it(world: World) -> None:
    world.user("ines", role=Role.INSTRUCTOR)
    assert _put(world, "ian", "alice", {"extra_quota": 1, "reason": "first"}).status_code == 200
    body = _put(world, "ines", "alice", {"extra_quota": 3}).json()
    assert (body["extra_quota"], body["reason"], body["created_by"], body["updated_by"]) == (3, "", "ian", "ines")
    assert len(world.get("ian", f"{LAYERS}/extensions").json()) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"deadline": "2026-12-24T10:00:00"}, 422, "time zone"),
        ({}, 422, "needs a new deadline, extra quota, or both"),
        ({"extra_quota": -1}, 422, "extra_quota"),
        ({"deadline": "soon"}, 422, "deadline"),
    ],
)
def test_a_bad_extension_is_refused_with_what_to_fix(
    world: World, body: dict[str, Any], status: int, words: str
) -> None:
    answer = _put(world, "ian", "alice", body)
    assert answer.status_code == status
    assert words in answer.text


def test_extensions_are_for_students_of_the_course_only(world: World) -> None:
    world.user("stranger")
    assert _put(world, "ian", "stranger", {"extra_quota": 1}).status_code == 404
    assert _put(world, "ian", "ian", {"extra_quota": 1}).status_code == 404
    assert world.delete("ian", f"{LAYERS}/extensions/bob").status_code == 404  # bob has none


def test_students_can_neither_set_nor_read_extensions(world: World) -> None:
    assert _put(world, "ian", "bob", {"extra_quota": 1}).status_code == 200
    assert _put(world, "alice", "alice", {"extra_quota": 5}).status_code == 403
    assert world.get("alice", f"{LAYERS}/extensions").status_code == 403
    assert world.get("alice", f"{COURSE}/extensions").status_code == 403
    assert world.delete("alice", f"{LAYERS}/extensions/bob").status_code == 403
    assert world.client.patch(COURSE, headers=world.headers("alice"), json={"late_days": 9}).status_code == 403
    assert world.get("alice", LAYERS).json()["extra_quota"] == 0  # bob's is not hers
    assert world.get("alice", f"{COURSE}/late-days").json()["students"] is None


def _upload(world: World, text: str) -> Any:
    files = {"file": ("extensions.csv", text.encode(), "text/csv")}
    return world.post("ian", f"{COURSE}/extensions", files=files)


def _count(world: World) -> int:
    with world.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Extension)) or 0)


def test_a_csv_sets_many_extensions_at_once(world: World) -> None:
    _deadline(world, 1)
    text = (
        "username,problem,deadline,extra_quota,reason\n"
        "alice,toy-layers,2026-12-24T23:59:00+01:00,2,illness\n"
        "bob,toy-layers,2026-12-25T12:00:00,,\n"
    )
    answer = _upload(world, text)
    assert answer.status_code == 200, answer.text
    stored = {e["username"]: e for e in answer.json()["stored"]}
    assert dt.datetime.fromisoformat(stored["alice"]["deadline"]) == dt.datetime(2026, 12, 24, 22, 59, tzinfo=dt.UTC)
    assert dt.datetime.fromisoformat(stored["bob"]["deadline"]) == dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC)
    assert (stored["alice"]["extra_quota"], stored["alice"]["reason"]) == (2, "illness")
    assert _count(world) == 2


def test_a_csv_with_bad_lines_lists_them_by_line_and_stores_nothing(world: World) -> None:
    _deadline(world, 1)
    assert _upload(world, "username,problem,deadline\nalice,toy-layers,2026-12-24T10:00Z\n").status_code == 200
    text = (
        "username,problem,deadline,extra_quota,reason\n"
        "bob,toy-layers,2026-12-24T10:00:00Z,1,fine\n"
        "alice,no-such,2026-12-24T10:00:00Z,,\n"
        "ian,toy-layers,tomorrow,,\n"
        "carol,toy-layers,,1,\n"
        "alice,toy-layers,,,\n"
        "bob,toy-layers,,x,\n"
    )
    answer = _upload(world, text)
    assert answer.status_code == 422
    body = answer.json()
    assert "nothing was stored" in body["detail"]
    lines = [e.split(":")[0] for e in body["errors"]]
    assert lines == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "no problem 'no-such'" in body["errors"][0]
    assert "'tomorrow' is not an ISO 8601" in body["errors"][1]
    assert "'carol' is not a student" in body["errors"][2]
    assert "needs a new deadline, extra quota, or both" in body["errors"][3]
    assert "appears twice" in body["errors"][4]
    assert _count(world) == 1  # only the first file's
    for bad, words in [
        ("name,when\nalice,x\n", "needs a header row"),
        ("username,problem,deadline\n", "no rows"),
    ]:
        answer = _upload(world, bad)
        assert (answer.status_code, words in answer.json()["detail"]) == (422, True)
    answer = world.post("ian", f"{COURSE}/extensions", files={"file": ("x.csv", b"\xff\xfe\x00", "text/csv")})
    assert answer.status_code == 422 and "UTF-8" in answer.json()["detail"]
    assert _count(world) == 1


def test_concurrent_late_submissions_never_spend_more_days_than_the_bank(
    make_world: WorldFactory, database_url: str
) -> None:
    world = make_world(database_url)
    world.user("alice", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    world.add_problem(load_toy("toy-classifier"))
    _late_days(world, 2, max_on={"toy-layers": 2, "toy-classifier": 2})
    for slug in ("toy-layers", "toy-classifier"):
        _deadline(world, 1.5, slug)  # each needs two days: the bank pays for one problem only
    posts = 12
    files = {"toy-layers": FILES, "toy-classifier": solution_of(load_toy("toy-classifier"))}
    start = threading.Barrier(posts)

    def post(i: int) -> int:
        slug = "toy-layers" if i % 2 else "toy-classifier"
        start.wait(30)  # all leave together, so their transactions overlap
        return int(world.submit("alice", slug, files[slug]).status_code)

    with ThreadPoolExecutor(posts) as pool:
        assert list(pool.map(post, range(posts))) == [202] * posts
    with world.db.read() as session:
        rows = list(session.scalars(select(Submission)))
        covered = {s.problem_id for s in rows if s.late_days}
        assert len(covered) == 1  # one problem's submissions all covered, the other's all late
        assert all(s.late_days == 2 and not s.late for s in rows if s.problem_id in covered)
        assert all(s.late and s.late_days == 0 for s in rows if s.problem_id not in covered)
        course = session.scalars(select(Course)).one()
        assert deadlines.late_days_of(session, course, rows[0].user_id).used == 2


def test_a_late_penalty_is_not_taken_from_a_submission_late_days_covered(
    make_world: WorldFactory, database_url: str
) -> None:
    world = make_world(database_url, slots=1)
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.add_problem(load_toy("toy-layers"))
    assert world.patch("ian", LAYERS, json={"late_policy": "penalty", "late_penalty": 0.5}).status_code == 200
    _late_days(world, 2, max_on={"toy-layers": 1})
    _deadline(world, 0.5)
    covered = wait_graded(world, "alice", world.submit("alice", "toy-layers", FILES).json()["id"])
    assert (covered["late"], covered["late_days"], covered["score"]) == (False, 1, covered["max_score"])
    _deadline(world, 1.5)  # two days: more than the problem allows
    late = wait_graded(world, "bob", world.submit("bob", "toy-layers", FILES).json()["id"])
    assert (late["late"], late["late_days"], late["score"]) == (True, 0, late["max_score"] / 2)


def test_an_extension_gives_more_time_never_less_and_never_a_deadline_where_there_is_none(world: World) -> None:
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    none = _put(world, "ian", "alice", {"deadline": soon.isoformat()})
    assert none.status_code == 422
    assert none.json()["detail"].startswith("toy-layers has no deadline, so an extension there can only give extra")
    assert _put(world, "ian", "alice", {"extra_quota": 2}).status_code == 200  # extra submissions are fine
    problem_deadline = _deadline(world, -5)  # due in five days
    earlier = _put(world, "ian", "alice", {"deadline": soon.isoformat()})
    assert earlier.status_code == 422
    assert "is not after the deadline of toy-layers" in earlier.json()["detail"]
    assert "an extension gives more time, never less" in earlier.json()["detail"]
    later = problem_deadline + dt.timedelta(days=2)
    assert _put(world, "ian", "alice", {"deadline": later.isoformat()}).status_code == 200
    _deadline(world, -10)  # the class's deadline moves past alice's extension: she keeps the later one
    with world.db.read() as session:
        from app.db.models import Problem, User

        problem = session.scalar(select(Problem).where(Problem.slug == "toy-layers"))
        alice = session.scalar(select(User).where(User.username == "alice"))
        assert problem is not None and alice is not None and problem.deadline is not None
        assert deadlines.deadline_for(session, problem, alice.id) == problem.deadline > later
