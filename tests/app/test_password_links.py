"""One-time set-password links: made by a course's instructors for its students, used once, expiring, replaced."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, update

from app.db.models import ApiToken, PasswordLink, Role, User
from tests.app.conftest import World, WorldFactory

COURSE = "/api/v1/courses/dl"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.add_course("other")
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("olga", role=Role.INSTRUCTOR, course="other")
    world.user("sam", role=Role.STUDENT)  # a member with a password
    world.user("bob", role=Role.STUDENT, course="other")  # an account of another course
    return world


def _import(world: World, text: str) -> Any:
    answer = world.post("ian", f"{COURSE}/roster", files={"roster": ("r.csv", text.encode(), "text/csv")})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _link(world: World, username: str, who: str = "ian") -> Any:
    return world.post(who, f"{COURSE}/students/{username}/password-link")


def _token(url: str) -> str:
    match = re.fullmatch(r"http://testserver/set-password/([A-Za-z0-9_-]{40,})", url)
    assert match, url
    return match.group(1)


def _set(world: World, token: str, password: str) -> Any:
    return world.client.post("/api/v1/auth/set-password", json={"token": token, "password": password})


def _login(world: World, username: str, password: str) -> Any:
    return world.client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_an_imported_student_sets_a_password_with_a_link_signs_in_and_joins(world: World) -> None:
    _import(world, "username,full_name,email\nnewbie,New Bie,newbie@uni.example\n")
    assert _login(world, "newbie", "anything-at-all").status_code == 401  # no way in before the link

    made = _link(world, "newbie")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["mail_error"] is None
    [link] = body["links"]
    assert (link["username"], link["kind"], link["mailed"]) == ("newbie", "set", False)
    expires = dt.datetime.fromisoformat(link["expires_at"])
    assert dt.timedelta(hours=71) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=72)
    token = _token(link["link"])
    with world.db.read() as session:  # only the digest is kept
        row = session.scalar(select(PasswordLink))
        assert row is not None and token not in row.token_hash and len(row.token_hash) == 64

    form = world.client.get(f"/set-password/{token}")
    assert form.status_code == 200
    assert "Choose your password" in form.text and "newbie" in form.text and "at least 8 characters" in form.text
    assert form.headers["cache-control"] == "no-store" and form.headers["referrer-policy"] == "no-referrer"
    assert _set(world, token, "correct horse").status_code == 204

    signed_in = _login(world, "newbie", "correct horse")
    assert signed_in.status_code == 201
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    assert world.client.post("/api/v1/me/invitations/dl/accept", headers=headers).status_code == 200
    assert [c["slug"] for c in world.client.get("/api/v1/courses", headers=headers).json()] == ["dl"]

    again = _set(world, token, "another password")
    assert again.status_code == 410 and again.json()["detail"] == "this link was already used to set a password"
    page = world.client.get(f"/set-password/{token}")
    assert page.status_code == 410
    assert "This link was already used" in page.text and "Ask your instructor for a new link." in page.text
    assert _login(world, "newbie", "correct horse").status_code == 201  # the reuse changed nothing


def test_an_expired_link_is_refused_with_its_date(world: World) -> None:
    _import(world, "username\nnewbie\n")
    token = _token(_link(world, "newbie").json()["links"][0]["link"])
    past = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    with world.db.session() as session:
        session.execute(update(PasswordLink).values(expires_at=past))
    answer = _set(world, token, "correct horse")
    assert answer.status_code == 410 and answer.json()["detail"] == "this link has expired"
    page = world.client.get(f"/set-password/{token}")
    assert page.status_code == 410 and "This link has expired" in page.text and "2026-01-02 03:04 UTC" in page.text
    assert _login(world, "newbie", "correct horse").status_code == 401


def test_a_newer_link_replaces_the_older_one(world: World) -> None:
    _import(world, "username\nnewbie\n")
    first = _token(_link(world, "newbie").json()["links"][0]["link"])
    second = _token(_link(world, "newbie").json()["links"][0]["link"])
    old = _set(world, first, "correct horse")
    assert old.status_code == 410 and "newer link" in old.json()["detail"]
    assert "This link was replaced" in world.client.get(f"/set-password/{first}").text
    assert _set(world, second, "correct horse").status_code == 204
    record = world.get("ian", f"{COURSE}/password-links").json()
    assert [(r["username"], r["created_by"], r["state"]) for r in record] == [
        ("newbie", "ian", "used"),
        ("newbie", "ian", "replaced"),
    ]


def test_a_reset_link_replaces_a_password_and_ends_browser_sessions(world: World) -> None:
    with world.db.session() as session:
        sam = session.scalar(select(User).where(User.username == "sam"))
        assert sam is not None
        session.add(
            ApiToken(
                user_id=sam.id,
                name="browser session (Firefox on Linux)",
                token_hash="f" * 64,
                prefix="glt_x",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                browser=True,
            )
        )
    link = _link(world, "sam").json()["links"][0]
    assert link["kind"] == "reset"
    form = world.client.get(f"/set-password/{_token(link['link'])}")
    assert "Set a new password" in form.text
    assert _set(world, _token(link["link"]), "a new password").status_code == 204
    assert _login(world, "sam", "password-of-sam").status_code == 401
    assert _login(world, "sam", "a new password").status_code == 201
    assert world.get("sam", "/api/v1/me").status_code == 200  # API tokens keep working
    with world.db.read() as session:
        browser = session.scalar(select(ApiToken).where(ApiToken.browser.is_(True)))
        assert browser is not None and browser.revoked_at is not None


def test_password_rules_are_told_and_a_refused_password_does_not_use_the_link(world: World) -> None:
    _import(world, "username\nnewbie\n")
    token = _token(_link(world, "newbie").json()["links"][0]["link"])
    short = _set(world, token, "short")
    assert short.status_code == 422
    assert short.json()["detail"] == (
        "the password is too short: use at least 8 characters (at most 1024); spaces and any characters are allowed"
    )
    assert _set(world, token, "long enough").status_code == 204


def test_unknown_links_say_nothing_about_anyone(world: World) -> None:
    for token in ("x" * 43, "", "a/b"):
        answer = _set(world, token, "correct horse")
        assert answer.status_code in (404, 422)
    answer = _set(world, "x" * 43, "correct horse")
    assert answer.json()["detail"] == "this link is not valid: it may have been copied only in part"
    page = world.client.get("/set-password/" + "x" * 43)
    assert page.status_code == 404 and "This link is not valid" in page.text
    assert world.client.get("/set-password/" + "x" * 500).status_code == 404


def test_who_may_make_links(world: World) -> None:
    world.user("stu", role=Role.STUDENT)
    world.user("tina", role=Role.STUDENT)
    with world.db.session() as session:  # tina also teaches the other course
        from app.courses.service import enrol
        from tests.app.conftest import _course

        tina = session.scalar(select(User).where(User.username == "tina"))
        enrol(session, _course(session, "other"), tina, Role.INSTRUCTOR)

    refused = _link(world, "sam", who="stu")
    assert refused.status_code == 403 and refused.json()["detail"] == "only instructors of dl may do this"
    assert _link(world, "sam", who="olga").status_code == 404  # not her course
    staff = _link(world, "tina")
    assert staff.status_code == 403 and "instructor or administrator" in staff.json()["detail"]
    assert _link(world, "ian").status_code == 404  # an instructor of the course is not a student
    # An account outside the course and a username nobody has get the same answer.
    outside, nobody = _link(world, "bob"), _link(world, "nobody-at-all")
    assert outside.status_code == nobody.status_code == 404
    assert outside.json()["detail"].replace("bob", "X") == nobody.json()["detail"].replace("nobody-at-all", "X")
    # Importing another course's user does not let this course take the account over.
    _import(world, "username\nbob\n")
    claimed = _link(world, "bob")
    assert claimed.status_code == 403 and "has not accepted the invitation" in claimed.json()["detail"]
    assert _login(world, "bob", "password-of-bob").status_code == 201
    with world.db.read() as session:
        assert session.scalar(select(PasswordLink.id)) is None  # no refused attempt left a link behind


def test_links_for_all_students_without_a_password(world: World) -> None:
    _import(world, "username,email\nann,ann@uni.example\nben,\nbob,\n")
    answer = world.post("ian", f"{COURSE}/password-links")
    assert answer.status_code == 201
    body = answer.json()
    assert [(link["username"], link["kind"]) for link in body["links"]] == [("ann", "set"), ("ben", "set")]
    assert [s["username"] for s in body["skipped"]] == []  # bob has a password: not a student without one
    tokens = {link["username"]: _token(link["link"]) for link in body["links"]}
    assert _set(world, tokens["ben"], "ben's password").status_code == 204
    again = world.post("ian", f"{COURSE}/password-links").json()
    assert [link["username"] for link in again["links"]] == ["ann"]
    assert _set(world, tokens["ann"], "ann's password").status_code == 410  # replaced by the second round
    assert world.post("sam", f"{COURSE}/password-links").status_code == 403


def test_changing_ones_own_password(world: World) -> None:
    wrong = world.client.put(
        "/api/v1/me/password",
        headers=world.headers("sam"),
        json={"current_password": "not it", "new_password": "a better password"},
    )
    assert wrong.status_code == 403 and wrong.json()["detail"] == "the current password is wrong"
    short = world.client.put(
        "/api/v1/me/password",
        headers=world.headers("sam"),
        json={"current_password": "password-of-sam", "new_password": "short"},
    )
    assert short.status_code == 422 and "too short" in short.json()["detail"]
    done = world.client.put(
        "/api/v1/me/password",
        headers=world.headers("sam"),
        json={"current_password": "password-of-sam", "new_password": "a better password"},
    )
    assert done.status_code == 204
    assert _login(world, "sam", "password-of-sam").status_code == 401
    assert _login(world, "sam", "a better password").status_code == 201


def test_the_endpoints_are_in_the_openapi_document(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/courses/{course}/students/{username}/password-link"]
    assert "post" in paths["/api/v1/courses/{course}/password-links"]
    assert "get" in paths["/api/v1/courses/{course}/password-links"]
    assert "410" in paths["/api/v1/auth/set-password"]["post"]["responses"]
    assert "put" in paths["/api/v1/me/password"]


def test_the_set_password_form_refuses_a_post_from_another_site(world: World) -> None:
    _import(world, "username\nnewbie\n")
    token = _token(_link(world, "newbie").json()["links"][0]["link"])
    form = world.client.get(f"/set-password/{token}")
    csrf = re.search(r'name="csrf" value="([0-9a-f]{40})"', form.text)
    assert csrf is not None
    data = {"password": "correct horse", "confirm": "correct horse", "csrf": csrf.group(1)}
    world.client.cookies.clear()  # another site's form: the browser sends no SameSite=Strict cookie
    forged = world.client.post(f"/set-password/{token}", data=data, follow_redirects=False)
    assert forged.status_code == 403 and "The form expired or did not come from this page" in forged.text
    assert _login(world, "newbie", "correct horse").status_code == 401
    retry = world.client.get(f"/set-password/{token}")  # the page offers the form again, with a fresh token
    fresh = re.search(r'name="csrf" value="([0-9a-f]{40})"', retry.text)
    assert fresh is not None
    done = world.client.post(f"/set-password/{token}", data={**data, "csrf": fresh.group(1)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/?password=set"
    home = world.client.get("/?password=set")
    assert "Your password is set and you are logged in as newbie." in home.text
    world.client.cookies.clear()


def test_the_roster_page_shows_a_new_link_once_and_a_refusal_in_the_page(world: World) -> None:
    from app.web.session import COOKIE, csrf_token

    _import(world, "username\nnewbie\nbob\n")
    client, token = world.client, world.tokens["ian"]
    client.cookies.set(COOKIE, token)
    try:
        csrf = csrf_token(client.app.state.settings.secret_key, token)  # type: ignore[attr-defined]
        made = client.post("/c/dl/roster/newbie/password-link", data={"csrf": csrf})
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        [url] = re.findall(r"<code data-link>([^<]+)</code>", made.text)
        _token(url)
        assert "copy it now" in made.text and "Download these links as CSV" in made.text
        later = client.get("/c/dl/roster")
        assert url not in later.text and "<td>newbie</td><td>set</td><td>ian</td>" in later.text
        refused = client.post("/c/dl/roster/bob/password-link", data={"csrf": csrf})
        assert refused.status_code == 403 and "<h1>Roster</h1>" in refused.text
        assert "bob has not accepted the invitation to dl yet" in refused.text and "data-link>" not in refused.text
        forged = client.post("/c/dl/roster/newbie/password-link", data={"csrf": "x" * 40})
        assert forged.status_code == 403 and "data-link>" not in forged.text
        student = world.tokens["sam"]
        client.cookies.set(COOKIE, student)
        denied = client.post(
            "/c/dl/roster/newbie/password-link",
            data={"csrf": csrf_token(client.app.state.settings.secret_key, student)},  # type: ignore[attr-defined]
        )
        assert denied.status_code == 403 and "only instructors of dl may do this" in denied.text
    finally:
        client.cookies.clear()
