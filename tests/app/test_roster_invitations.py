"""A roster import invites: it cannot claim another course's user, nor tell whether a username exists."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Role, User
from app.web.session import COOKIE, csrf_token
from tests.app.conftest import World, WorldFactory

COURSE = "/api/v1/courses/dl"


@pytest.fixture
def world(make_world: WorldFactory, database_url: str) -> World:
    world = make_world(database_url)
    world.add_course("other")
    world.user("ian", role=Role.INSTRUCTOR)
    world.user("bob", role=Role.STUDENT, course="other")  # an account of another course
    with world.db.session() as session:
        bob = session.scalar(select(User).where(User.username == "bob"))
        assert bob is not None
        bob.email = "bob@uni.example"
    return world


def _import(world: World, text: str) -> Any:
    return world.post("ian", f"{COURSE}/roster", files={"roster": ("r.csv", text.encode(), "text/csv")})


def _roster(world: World) -> dict[str, dict[str, Any]]:
    return {m["username"]: m for m in world.get("ian", f"{COURSE}/roster").json()}


def test_an_existing_and_a_new_username_get_the_same_answer_and_the_same_roster_line(world: World) -> None:
    existing = _import(world, "username,full_name,email\nbob,Imposter,evil@example.org\n")
    new = _import(world, "username,full_name,email\nnewcomer,Imposter,evil@example.org\n")
    assert existing.status_code == new.status_code == 200
    assert existing.json() == {"invited": ["bob"], "updated": []}
    assert new.json() == {"invited": ["newcomer"], "updated": []}
    lines = _roster(world)
    assert (
        {k: v for k, v in lines["bob"].items() if k != "username"}
        == {k: v for k, v in lines["newcomer"].items() if k != "username"}
        == {"full_name": "", "role": "student", "invited": True}
    )


def test_an_import_never_changes_an_existing_account(world: World) -> None:
    _import(world, "username,full_name,email\nbob,Imposter,evil@example.org\n")
    with world.db.read() as session:
        bob = session.scalar(select(User).where(User.username == "bob"))
        assert bob is not None and (bob.full_name, bob.email) == ("Bob", "bob@uni.example")


def test_an_invited_person_has_no_access_until_they_accept(world: World) -> None:
    _import(world, "username,role\nbob,instructor\n")
    assert world.get("bob", COURSE).status_code == 404
    assert [c["slug"] for c in world.get("bob", "/api/v1/courses").json()] == ["other"]
    assert world.get("bob", "/api/v1/me/invitations").json() == [{"slug": "dl", "title": "DL", "role": "instructor"}]
    joined = world.post("bob", "/api/v1/me/invitations/dl/accept")
    assert joined.status_code == 200 and joined.json()["role"] == "instructor"
    assert world.get("bob", COURSE).status_code == 200
    assert _roster(world)["bob"] == {"username": "bob", "full_name": "Bob", "role": "instructor", "invited": False}
    assert world.get("bob", "/api/v1/me/invitations").json() == []


def test_a_declined_invitation_is_gone_and_cannot_be_accepted_later(world: World) -> None:
    _import(world, "username\nbob\n")
    assert world.post("bob", "/api/v1/me/invitations/dl/decline").status_code == 204
    assert "bob" not in _roster(world)
    late = world.post("bob", "/api/v1/me/invitations/dl/accept")
    assert late.status_code == 404 and "no invitation to course 'dl'" in late.json()["detail"]


def test_importing_an_invited_person_again_updates_the_invitation_only(world: World) -> None:
    _import(world, "username\nbob\n")
    again = _import(world, "username,role\nbob,instructor\n")
    assert again.json() == {"invited": [], "updated": ["bob"]}
    assert _roster(world)["bob"]["invited"] is True
    assert world.get("bob", COURSE).status_code == 404


def test_the_dashboard_shows_an_invitation_and_joins_the_course(world: World) -> None:
    _import(world, "username\nbob\n")
    client, token = world.client, world.tokens["bob"]
    client.cookies.set(COOKIE, token)
    try:
        home = client.get("/")
        assert home.status_code == 200 and "Invitations" in home.text and "/invitations/dl/accept" in home.text
        csrf = csrf_token(client.app.state.settings.secret_key, token)  # type: ignore[attr-defined]
        joined = client.post("/invitations/dl/accept", data={"csrf": csrf}, follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == "/c/dl"
        assert client.get("/c/dl").status_code == 200
    finally:
        client.cookies.clear()
