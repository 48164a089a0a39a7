"""Who may do what: every endpoint, every kind of caller, the allowed and the refused."""

from __future__ import annotations

from typing import Any

import pytest

from app.db.models import Role
from tests.app.conftest import World, WorldFactory, load_toy, solution_of

ACTORS = ["anonymous", "outsider", "alice", "bob", "ian", "olga", "root"]


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.add_course("other")
    world.user("outsider")
    world.user("alice", role=Role.STUDENT)
    world.user("bob", role=Role.STUDENT)
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("olga", role=Role.INSTRUCTOR, course="other")
    world.user("root", admin=True)
    world.add_problem(load_toy("toy-layers"))
    world.add_problem(load_toy("toy-classifier"), published=False)
    return world


def _call(world: World, actor: str, method: str, path: str, **kw: Any) -> int:
    headers = {} if actor == "anonymous" else world.headers(actor)
    return int(world.client.request(method, path, headers=headers, **kw).status_code)


def _expect(world: World, method: str, path: str, expected: dict[str, int], **kw: Any) -> None:
    got = {actor: _call(world, actor, method, path, **kw) for actor in expected}
    assert got == expected, f"{method} {path}"


def _toy_files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (n, c, "text/x-python")) for n, c in solution_of(load_toy("toy-layers")).items()]


COURSE = "/api/v1/courses/dl"
READ_COURSE = {"anonymous": 401, "outsider": 404, "alice": 200, "bob": 200, "ian": 200, "olga": 404, "root": 200}
INSTRUCTOR_ONLY = {"anonymous": 401, "outsider": 404, "alice": 403, "bob": 403, "ian": 200, "olga": 404, "root": 200}


@pytest.mark.parametrize(
    "path",
    [
        COURSE,
        f"{COURSE}/problems",
        f"{COURSE}/problems/toy-layers",
        f"{COURSE}/problems/toy-layers/starter.zip",
        f"{COURSE}/submissions",
    ],
)
def test_course_members_read_the_course_and_nobody_else_sees_it(world: World, path: str) -> None:
    _expect(world, "GET", path, READ_COURSE)


def test_unpublished_problems_exist_only_for_instructors(world: World) -> None:
    expected = {**READ_COURSE, "alice": 404, "bob": 404}
    _expect(world, "GET", f"{COURSE}/problems/toy-classifier", expected)
    listed = world.get("alice", f"{COURSE}/problems").json()
    assert [p["slug"] for p in listed] == ["toy-layers"]
    assert {p["slug"] for p in world.get("ian", f"{COURSE}/problems").json()} == {"toy-layers", "toy-classifier"}


@pytest.mark.parametrize(
    "path",
    [
        f"{COURSE}/roster",
        f"{COURSE}/gradebook.csv",
        f"{COURSE}/problems/toy-layers/versions",
        f"{COURSE}/extensions",
        f"{COURSE}/problems/toy-layers/extensions",
    ],
)
def test_instructor_pages_refuse_students_with_403_and_strangers_with_404(world: World, path: str) -> None:
    _expect(world, "GET", path, INSTRUCTOR_ONLY)


def test_a_student_uploading_a_problem_is_forbidden(world: World, toy_zip: bytes) -> None:
    files = {"bundle": ("toy.zip", toy_zip, "application/zip")}
    expected = {"anonymous": 401, "outsider": 404, "alice": 403, "olga": 404}
    _expect(world, "POST", f"{COURSE}/problems", expected, files=files)
    _expect(world, "POST", f"{COURSE}/problems/toy-layers/versions", expected, files=files)
    # The instructor's upload of the same bundle as the current version is refused: it would change nothing.
    assert _call(world, "ian", "POST", f"{COURSE}/problems/toy-layers/versions", files=files) == 409


def test_only_instructors_change_problem_settings(world: World) -> None:
    body = {"published": True}
    _expect(world, "PATCH", f"{COURSE}/problems/toy-layers", INSTRUCTOR_ONLY, json=body)


def test_only_instructors_set_extensions_and_late_days(world: World) -> None:
    body = {"extra_quota": 1}
    _expect(world, "PUT", f"{COURSE}/problems/toy-layers/extensions/bob", INSTRUCTOR_ONLY, json=body)
    removed = {**INSTRUCTOR_ONLY, "ian": 204, "root": 404}  # ian removed it, so root finds none
    _expect(world, "DELETE", f"{COURSE}/problems/toy-layers/extensions/bob", removed)
    _expect(world, "PATCH", COURSE, INSTRUCTOR_ONLY, json={"late_days": 2})
    csv = b"username,problem,deadline,extra_quota,reason\nbob,toy-layers,,1,\n"
    _expect(world, "POST", f"{COURSE}/extensions", INSTRUCTOR_ONLY, files={"file": ("x.csv", csv, "text/csv")})
    _expect(world, "GET", f"{COURSE}/late-days", READ_COURSE)
    assert world.get("alice", f"{COURSE}/late-days").json()["students"] is None  # nobody else's


def test_only_instructors_regrade(world: World) -> None:
    expected = {**INSTRUCTOR_ONLY, "ian": 202}
    expected.pop("root")  # a second pending regrade would be a conflict
    _expect(world, "POST", f"{COURSE}/problems/toy-layers/regrades", expected, json={})
    regrade = world.get("ian", f"{COURSE}/submissions").json()  # the regrade's copies are not submissions
    assert regrade["total"] == 0


def test_only_admins_create_courses(world: World) -> None:
    expected = {"anonymous": 401, "alice": 403, "ian": 403, "root": 201}
    _expect(world, "POST", "/api/v1/courses", expected, json={"slug": "new-course", "title": "New"})


def test_strangers_cannot_submit(world: World) -> None:
    expected = {"anonymous": 401, "outsider": 404, "olga": 404, "alice": 202, "ian": 202}
    _expect(world, "POST", f"{COURSE}/problems/toy-layers/submissions", expected, files=_toy_files())
    assert _call(world, "alice", "POST", f"{COURSE}/problems/toy-classifier/submissions", files=_toy_files()) == 404


def test_another_students_submission_is_not_found(world: World) -> None:
    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    expected = {"anonymous": 401, "outsider": 404, "alice": 200, "bob": 404, "ian": 200, "olga": 404, "root": 200}
    _expect(world, "GET", f"/api/v1/submissions/{sid}", expected)
    gradescope = {**expected, "alice": 403}
    _expect(world, "GET", f"/api/v1/submissions/{sid}/results.json", gradescope)
    assert _call(world, "bob", "GET", f"/api/v1/submissions/{sid}/events") == 404
    assert _call(world, "alice", "GET", "/api/v1/submissions/999999") == 404


def test_students_list_only_their_own_submissions(world: World) -> None:
    files = solution_of(load_toy("toy-layers"))
    mine = world.submit("alice", "toy-layers", files).json()["id"]
    theirs = world.submit("bob", "toy-layers", files).json()["id"]
    alice = world.get("alice", f"{COURSE}/submissions").json()
    assert [s["id"] for s in alice["items"]] == [mine]
    assert world.get("alice", f"{COURSE}/submissions", params={"student": "bob"}).json()["total"] == 1  # still hers
    assert [s["id"] for s in world.get("alice", "/api/v1/me/submissions").json()] == [mine]
    everyone = world.get("ian", f"{COURSE}/submissions").json()
    assert {s["id"] for s in everyone["items"]} == {mine, theirs}
    assert [s["id"] for s in world.get("ian", f"{COURSE}/submissions", params={"student": "bob"}).json()["items"]] == [
        theirs
    ]


def test_roster_import_is_for_instructors(world: World) -> None:
    csv = b"username,full_name,role\ncarol,Carol C,student\n"
    files = {"roster": ("roster.csv", csv, "text/csv")}
    expected = {"anonymous": 401, "outsider": 404, "alice": 403, "olga": 404, "ian": 200}
    _expect(world, "POST", f"{COURSE}/roster", expected, files=files)


def test_instructors_of_one_course_cannot_touch_another(world: World) -> None:
    assert _call(world, "olga", "GET", "/api/v1/courses/other") == 200
    assert _call(world, "ian", "GET", "/api/v1/courses/other") == 404
    assert _call(world, "ian", "GET", "/api/v1/courses/other/gradebook.csv") == 404


def test_only_instructors_release_held_results(world: World) -> None:
    _expect(world, "POST", f"{COURSE}/problems/toy-layers/release", INSTRUCTOR_ONLY)


def test_a_problem_not_yet_open_exists_only_for_instructors(world: World) -> None:
    assert world.patch(
        "ian", f"{COURSE}/problems/toy-layers", json={"opens_at": "2999-01-01T00:00:00+00:00"}
    ).is_success
    expected = {**READ_COURSE, "alice": 404, "bob": 404}
    _expect(world, "GET", f"{COURSE}/problems/toy-layers", expected)
    _expect(world, "GET", f"{COURSE}/problems/toy-layers/starter.zip", expected)
    assert _call(world, "alice", "POST", f"{COURSE}/problems/toy-layers/submissions", files=_toy_files()) == 404
    assert world.get("alice", f"{COURSE}/problems").json() == []


def test_only_its_student_chooses_a_submission_to_count(world: World) -> None:
    from app.db.models import Submission, SubmissionState

    sid = world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"]
    assert _call(world, "alice", "POST", f"/api/v1/submissions/{sid}/activate") == 422  # not graded yet
    with world.db.session() as session:  # no grading slots here: mark it graded as a worker would
        row = session.get_one(Submission, sid)
        row.state, row.score, row.raw_score, row.max_score = SubmissionState.GRADED, 6.0, 6.0, 6.0
    expected = {"anonymous": 401, "outsider": 404, "bob": 404, "ian": 403, "olga": 404, "root": 403, "alice": 200}
    _expect(world, "POST", f"/api/v1/submissions/{sid}/activate", expected)
