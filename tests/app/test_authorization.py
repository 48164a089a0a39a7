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


# --- Every route, every kind of caller: student, TA, instructor, outsider (and nobody logged in). ---------------

MATRIX_ACTORS = ["anonymous", "outsider", "bob", "tara", "alice", "ian"]  # owner and instructor last: they change state
NO = "login"  # a page's answer to nobody logged in: a redirect to the login page

API_READ = {"anonymous": 401, "outsider": 404, "bob": 200, "tara": 200, "alice": 200, "ian": 200}
API_STAFF = {"anonymous": 401, "outsider": 404, "bob": 403, "tara": 200, "alice": 403, "ian": 200}
API_INSTRUCTOR = {"anonymous": 401, "outsider": 404, "bob": 403, "tara": 403, "alice": 403, "ian": 200}
API_OWNER_OR_STAFF = {"anonymous": 401, "outsider": 404, "bob": 404, "tara": 200, "alice": 200, "ian": 200}
PAGE_READ = {**API_READ, "anonymous": NO}
PAGE_STAFF = {**API_STAFF, "anonymous": NO}
PAGE_INSTRUCTOR = {**API_INSTRUCTOR, "anonymous": NO}
PAGE_OWNER_OR_STAFF = {**API_OWNER_OR_STAFF, "anonymous": NO}
A = "/api/v1"
EXT_CSV = b"username,problem,deadline,extra_quota,reason\nbob,toy-layers,,1,\n"
C = f"{A}/courses/{{course}}"


def _bundle_part(toy_zip: bytes) -> dict[str, Any]:
    return {"files": {"bundle": ("toy.zip", toy_zip, "application/zip")}}


def _roster_part() -> dict[str, Any]:
    return {"files": {"roster": ("roster.csv", b"username,role\ncarol,ta\n", "text/csv")}}


# (method, route as the app declares it, values for its parameters beyond the defaults, request keywords, expected)
# Ordered: a row may rely on what the rows before it did (a regrade discarded, a request answered).
MATRIX: list[tuple[str, str, dict[str, str], Any, dict[str, int | str]]] = [
    ("GET", f"{A}/courses", {}, None, {"anonymous": 401, "outsider": 200, "tara": 200, "alice": 200}),
    (
        "POST",
        f"{A}/courses",
        {},
        {"json": {"slug": "x", "title": "X"}},
        {**API_INSTRUCTOR, "outsider": 403, "ian": 403},
    ),
    ("GET", C, {}, None, API_READ),
    ("GET", f"{C}/roster", {}, None, API_INSTRUCTOR),
    ("POST", f"{C}/roster", {}, "roster", API_INSTRUCTOR),
    ("GET", f"{C}/submissions", {}, None, API_READ),
    ("GET", f"{C}/gradebook.csv", {}, None, API_STAFF),
    ("GET", f"{C}/problems", {}, None, API_READ),
    ("GET", f"{C}/problems/{{slug}}", {}, None, API_READ),
    ("GET", f"{C}/problems/{{slug}}", {"slug": "toy-classifier"}, None, {**API_READ, "bob": 404, "alice": 404}),
    ("GET", f"{C}/problems/{{slug}}/starter.zip", {}, None, API_READ),
    ("POST", f"{C}/problems", {}, "bundle", {**API_INSTRUCTOR, "ian": 409}),  # 409: it exists (auth passed)
    ("POST", f"{C}/problems/{{slug}}/versions", {}, "bundle", {**API_INSTRUCTOR, "ian": 409}),
    ("GET", f"{C}/upload-checks/{{check_id}}", {}, None, {**API_INSTRUCTOR, "ian": 404}),
    ("GET", f"{C}/problems/{{slug}}/versions", {}, None, API_INSTRUCTOR),
    ("PATCH", f"{C}/problems/{{slug}}", {}, {"json": {"published": True}}, API_INSTRUCTOR),
    ("POST", f"{C}/problems/{{slug}}/regrades", {}, {"json": {}}, {**API_INSTRUCTOR, "ian": 409}),  # one pending
    ("GET", f"{C}/problems/{{slug}}/regrades/{{regrade_id}}", {}, None, API_INSTRUCTOR),
    ("POST", f"{C}/problems/{{slug}}/regrades/{{regrade_id}}/discard", {}, None, API_INSTRUCTOR),
    ("POST", f"{C}/problems/{{slug}}/regrades/{{regrade_id}}/apply", {}, None, {**API_INSTRUCTOR, "ian": 409}),
    ("POST", f"{A}/courses/{{course}}/students/{{username}}/password-link", {}, None, {**API_INSTRUCTOR, "ian": 201}),
    ("POST", f"{C}/password-links", {}, None, {**API_INSTRUCTOR, "ian": 201}),
    ("GET", f"{C}/password-links", {}, None, API_INSTRUCTOR),
    ("GET", f"{A}/submissions/{{submission_id}}", {}, None, API_OWNER_OR_STAFF),
    ("GET", f"{A}/submissions/{{submission_id}}/events", {}, None, API_OWNER_OR_STAFF),
    ("GET", f"{A}/submissions/{{submission_id}}/results.json", {}, None, {**API_OWNER_OR_STAFF, "alice": 403}),
    ("GET", f"{A}/submissions/{{submission_id}}/adjustments", {}, None, API_OWNER_OR_STAFF),
    (
        "POST",
        f"{A}/submissions/{{submission_id}}/adjustments",
        {},
        {"json": {"points": 1, "comment": "well done"}},
        {**API_OWNER_OR_STAFF, "tara": 201, "alice": 403, "ian": 201},
    ),
    ("GET", f"{A}/submissions/{{submission_id}}/regrade-requests", {}, None, API_OWNER_OR_STAFF),
    (
        "POST",
        f"{A}/submissions/{{submission_id}}/regrade-requests",
        {"submission_id": "second"},
        {"json": {"reason": "test 2 looks right to me"}},
        {**API_OWNER_OR_STAFF, "tara": 404, "alice": 201, "ian": 404},  # only its student asks
    ),
    ("GET", f"{C}/regrade-requests", {}, None, API_STAFF),
    (
        "POST",
        f"{A}/regrade-requests/{{request_id}}/answer",
        {},
        {"json": {"answer": "looked again: right"}},
        {**API_OWNER_OR_STAFF, "tara": 200, "alice": 403, "ian": 409},  # 409: tara answered it
    ),
    (
        "POST",
        f"{A}/regrade-requests/{{request_id}}/withdraw",
        {"request_id": "latest"},
        None,
        {**API_OWNER_OR_STAFF, "tara": 404, "ian": 404},  # only its student withdraws
    ),
    ("GET", "/c/{course}", {}, None, PAGE_READ),
    ("GET", "/c/{course}/p/{slug}", {}, None, PAGE_READ),
    ("GET", "/c/{course}/p/{slug}", {"slug": "toy-classifier"}, None, {**PAGE_READ, "bob": 404, "alice": 404}),
    ("GET", "/c/{course}/p/{slug}/starter.zip", {}, None, PAGE_READ),
    ("GET", "/s/{submission_id}", {}, None, PAGE_OWNER_OR_STAFF),
    ("GET", "/s/{submission_id}/files/{name}", {}, None, PAGE_OWNER_OR_STAFF),
    ("GET", "/s/{submission_id}/live", {}, None, PAGE_OWNER_OR_STAFF),
    ("GET", "/c/{course}/overview", {}, None, PAGE_STAFF),
    ("GET", "/c/{course}/submissions", {}, None, PAGE_STAFF),
    ("GET", "/c/{course}/submissions.csv", {}, None, PAGE_STAFF),
    ("GET", "/c/{course}/gradebook.csv", {}, None, PAGE_STAFF),
    ("GET", "/c/{course}/regrade-requests", {}, None, PAGE_STAFF),
    ("GET", "/c/{course}/p/{slug}/manage", {}, None, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/p/{slug}/settings", {}, {"data": {"published": "on"}}, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/p/{slug}/regrade", {}, {"data": {"version": "1"}}, {**PAGE_INSTRUCTOR, "ian": 303}),
    ("GET", "/c/{course}/p/{slug}/regrades/{rid}", {}, None, PAGE_INSTRUCTOR),
    ("GET", "/c/{course}/p/{slug}/regrades/{rid}/table", {}, None, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/p/{slug}/regrades/{rid}/{action}", {}, None, {**PAGE_INSTRUCTOR, "ian": 303}),
    ("GET", "/c/{course}/roster", {}, None, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/roster", {}, "roster", PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/roster/{username}/password-link", {}, None, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/roster/password-links", {}, None, PAGE_INSTRUCTOR),
    ("GET", "/c/{course}/upload", {}, None, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/upload", {}, "bundle", {**PAGE_INSTRUCTOR, "ian": 409}),
    ("GET", "/c/{course}/upload-checks/{check_id}", {}, None, {**PAGE_INSTRUCTOR, "ian": 404}),
    ("GET", "/c/{course}/upload-checks/{check_id}/status", {}, None, {**PAGE_INSTRUCTOR, "ian": 404}),
    (
        "POST",
        "/s/{submission_id}/adjustments",
        {},
        {"data": {"points": "1", "comment": "nice"}},
        {**PAGE_OWNER_OR_STAFF, "tara": 303, "alice": 403, "ian": 303},
    ),
    (
        "POST",
        "/s/{submission_id}/regrade-requests",
        {"submission_id": "second"},
        {"data": {"reason": "please look again"}},
        {**PAGE_OWNER_OR_STAFF, "tara": 404, "alice": 303, "ian": 404},
    ),
    (
        "POST",
        "/regrade-requests/{request_id}/answer",
        {"request_id": "latest"},
        {"data": {"text": "fine as it is"}},
        {**PAGE_OWNER_OR_STAFF, "tara": 303, "alice": 403, "ian": 409},
    ),
    (
        "POST",
        "/regrade-requests/{request_id}/withdraw",
        {"request_id": "latest"},
        None,
        {**PAGE_OWNER_OR_STAFF, "tara": 404, "alice": 409, "ian": 404},  # 409: answered already (auth passed)
    ),
    # extensions and late days: instructors only
    ("PATCH", C, {}, {"json": {"late_days": 2}}, API_INSTRUCTOR),
    ("GET", f"{C}/extensions", {}, None, API_INSTRUCTOR),
    ("POST", f"{C}/extensions", {}, {"files": {"file": ("x.csv", EXT_CSV, "text/csv")}}, API_INSTRUCTOR),
    ("GET", f"{C}/late-days", {}, None, API_READ),
    ("GET", f"{C}/problems/{{slug}}/extensions", {}, None, API_INSTRUCTOR),
    (
        "PUT",
        f"{C}/problems/{{slug}}/extensions/{{username}}",
        {"username": "bob"},
        {"json": {"extra_quota": 1}},
        API_INSTRUCTOR,
    ),
    (
        "DELETE",
        f"{C}/problems/{{slug}}/extensions/{{username}}",
        {"username": "bob"},
        None,
        {**API_INSTRUCTOR, "ian": 204},
    ),
    ("GET", "/c/{course}/extensions", {}, None, PAGE_INSTRUCTOR),
    (
        "POST",
        "/c/{course}/extensions",
        {},
        {"data": {"problem": "toy-layers", "student": "bob", "extra_quota": "1"}},
        PAGE_INSTRUCTOR,
    ),
    (
        "POST",
        "/c/{course}/extensions/remove",
        {},
        {"data": {"problem": "toy-layers", "student": "bob"}},
        PAGE_INSTRUCTOR,
    ),
    ("POST", "/c/{course}/extensions/import", {}, {"files": {"file": ("x.csv", EXT_CSV, "text/csv")}}, PAGE_INSTRUCTOR),
    ("POST", "/c/{course}/late-days", {}, {"data": {"days": "2"}}, PAGE_INSTRUCTOR),
    # held results: instructors release them
    ("POST", f"{C}/problems/{{slug}}/release", {}, None, API_INSTRUCTOR),
    ("POST", "/c/{course}/p/{slug}/release", {}, None, PAGE_INSTRUCTOR),
    # code similarity: course staff
    ("GET", f"{C}/problems/{{slug}}/similarity", {}, None, API_STAFF),
    ("POST", f"{C}/problems/{{slug}}/similarity", {}, None, {**API_STAFF, "tara": 202, "ian": 202}),
    ("GET", "/c/{course}/p/{slug}/similarity", {}, None, PAGE_STAFF),
    ("POST", "/c/{course}/p/{slug}/similarity", {}, None, {**PAGE_STAFF, "tara": 303, "ian": 303}),
    (
        "GET",
        "/c/{course}/p/{slug}/similarity/{report_id}/{rank}",
        {"report_id": "999999", "rank": "1"},
        None,
        {**PAGE_STAFF, "tara": 404, "ian": 404},  # 404: no such report (auth passed)
    ),
    # the queue: staff put a superseded submission back (422: this one is graded, auth passed)
    (
        "POST",
        f"{A}/submissions/{{submission_id}}/requeue",
        {},
        None,
        {**API_OWNER_OR_STAFF, "tara": 422, "alice": 403, "ian": 422},
    ),
    ("POST", "/s/{submission_id}/requeue", {}, None, {**PAGE_OWNER_OR_STAFF, "tara": 422, "alice": 403, "ian": 422}),
    # which submission counts: only its student chooses
    ("POST", f"{A}/submissions/{{submission_id}}/activate", {}, None, {**API_OWNER_OR_STAFF, "tara": 403, "ian": 403}),
    ("POST", "/s/{submission_id}/activate", {}, None, {**PAGE_OWNER_OR_STAFF, "tara": 403, "alice": 303, "ian": 403}),
    (
        "POST",
        "/c/{course}/p/{slug}/submit",
        {},
        "files",
        {**PAGE_READ, "bob": 303, "tara": 303, "alice": 303, "ian": 303},
    ),
    (
        "POST",
        f"{C}/problems/{{slug}}/submissions",
        {},
        "files",
        {**API_READ, "bob": 202, "tara": 202, "alice": 202, "ian": 202},
    ),
]

# Routes that are not about a course: the caller's own account, logging in, public pages, the service itself.
NOT_COURSE_ROUTES = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/invitations/{course}/{answer}"),
    ("GET", "/me/submissions"),
    ("GET", "/me/tokens"),
    ("POST", "/me/tokens"),
    ("POST", "/me/tokens/{token_id}/revoke"),
    ("POST", "/me/password"),
    ("GET", "/set-password/{token}"),
    ("POST", "/set-password/{token}"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/set-password"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"),
    ("DELETE", "/api/v1/me/tokens/{token_id}"),
    ("GET", "/api/v1/me/submissions"),
    ("GET", "/api/v1/me/invitations"),
    ("POST", "/api/v1/me/invitations/{course}/accept"),
    ("POST", "/api/v1/me/invitations/{course}/decline"),
    ("PUT", "/api/v1/me/password"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/favicon.ico"),
}


def _declared_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, routers included (HEAD aside)."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # an included router (newer FastAPI keeps it whole)
                walk(inner.routes, prefix + route.include_context.prefix)
            elif getattr(route, "methods", None):
                found.update((m, prefix + route.path) for m in route.methods if m != "HEAD")

    walk(app.routes, "")
    return found


@pytest.fixture
def staffed(world: World) -> World:
    world.user("tara", role=Role.TA)
    return world


def test_every_route_has_a_rule_in_the_matrix(staffed: World) -> None:
    declared = _declared_routes(staffed.client.app)
    covered = {(method, route) for method, route, _, _, _ in MATRIX}
    assert declared - covered - NOT_COURSE_ROUTES == set(), "a route without a rule for students, TAs, instructors"
    assert covered - declared == set(), "the matrix names a route the app does not have"


def _graded_submission(world: World) -> int:
    """Alice's submission, stored graded (the matrix needs no sandbox: grading is tested elsewhere)."""
    from sqlalchemy import update

    from app.db.models import Submission, SubmissionState

    sid = int(world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).json()["id"])
    with world.db.session() as session:
        values = {"state": SubmissionState.GRADED, "score": 6.0, "raw_score": 6.0, "max_score": 6.0}
        session.execute(update(Submission).where(Submission.id == sid).values(**values))
    return sid


def _latest(world: World, table: Any) -> int:
    from sqlalchemy import func, select

    with world.db.read() as session:
        return int(session.scalar(select(func.max(table.id))) or 0)


def _call_route(world: World, actor: str, method: str, path: str, kw: dict[str, Any]) -> int | str:
    from app.web.session import COOKIE, csrf_token

    headers: dict[str, str] = {}
    page = not path.startswith("/api/")
    if actor != "anonymous":
        token = world.tokens[actor]
        if page:
            secret = world.client.app.state.settings.secret_key  # type: ignore[attr-defined]
            headers = {"Cookie": f"{COOKIE}={token}", "X-CSRF-Token": csrf_token(secret, token)}
        else:
            headers = world.headers(actor)
    answer = world.client.request(method, path, headers=headers, follow_redirects=False, **kw)
    if page and answer.status_code == 303 and answer.headers["location"].startswith("/login"):
        return NO
    return int(answer.status_code)


def test_each_route_answers_each_kind_of_caller_by_its_rule(staffed: World, toy_zip: bytes) -> None:
    from app.db.models import Regrade, RegradeRequest

    world = staffed
    first, second = _graded_submission(world), _graded_submission(world)
    asked = world.post("alice", f"/api/v1/submissions/{first}/regrade-requests", json={"reason": "why?"})
    assert asked.status_code == 201
    assert world.post("ian", f"{COURSE}/problems/toy-layers/regrades", json={}).status_code == 202
    files = _toy_files()
    wrong: list[str] = []
    for method, route, values, kw, expected in MATRIX:
        params = {
            "course": "dl",
            "slug": "toy-layers",
            "submission_id": str(second if values.get("submission_id") == "second" else first),
            "request_id": str(
                _latest(world, RegradeRequest) if values.get("request_id") == "latest" else asked.json()["id"]
            ),
            "regrade_id": str(_latest(world, Regrade)),
            "rid": str(_latest(world, Regrade)),
            "action": "discard",
            "check_id": "999999",
            "username": "alice",
            "name": "toy.py",
        }
        params.update({k: v for k, v in values.items() if k not in ("submission_id", "request_id")})
        path = route.format(**params)
        for actor, want in expected.items():
            extra: dict[str, Any] = {}
            if kw == "bundle":
                extra = _bundle_part(toy_zip)
            elif kw == "roster":
                extra = _roster_part()
            elif kw == "files":
                extra = {"files": files}
            elif kw:
                extra = dict(kw)
            got = _call_route(world, actor, method, path, extra)
            if want == NO and method == "POST":
                want = 403  # a form posted with no session fails its CSRF check before anything else
            if got != want:
                wrong.append(f"{method} {path} as {actor}: {got}, expected {want}")
    assert wrong == [], "\n".join(wrong)


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
