"""Tokens and passwords: every way of being refused says why, and nothing else leaks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from app.db.models import ApiToken, Role
from tests.app.conftest import WorldFactory


def test_password_login_issues_a_token_that_works(make_world: WorldFactory, database_url: str) -> None:
    world = make_world(database_url)
    world.user("ada")
    answer = world.client.post("/api/v1/auth/token", json={"username": "ada", "password": "password-of-ada"})
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert token.startswith("glt_")
    me = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "ada"


def test_wrong_password_and_unknown_user_get_the_same_answer(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("ada")
    wrong = world.client.post("/api/v1/auth/token", json={"username": "ada", "password": "nope-nope"})
    ghost = world.client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == ghost.status_code == 401
    assert wrong.json() == ghost.json() == {"detail": "wrong username or password", "errors": []}


def test_missing_token_is_401_with_how_to_send_one(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    answer = world.client.get("/api/v1/me")
    assert answer.status_code == 401
    assert "Authorization: Bearer" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_401(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    answer = world.client.get("/api/v1/me", headers={"Authorization": "Bearer glt_made-up"})
    assert answer.status_code == 401
    assert "unknown API token" in answer.json()["detail"]


def test_revoked_token_is_401(make_world: WorldFactory, database_url: str) -> None:
    world = make_world(database_url)
    world.user("ada")
    created = world.post("ada", "/api/v1/me/tokens", json={"name": "laptop", "days": 7}).json()
    laptop = {"Authorization": f"Bearer {created['token']}"}
    assert world.client.get("/api/v1/me", headers=laptop).status_code == 200
    assert world.delete("ada", f"/api/v1/me/tokens/{created['id']}").json()["revoked_at"] is not None
    answer = world.client.get("/api/v1/me", headers=laptop)
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]
    assert world.get("ada", "/api/v1/me").status_code == 200  # other tokens still work


def test_expired_token_is_401_with_the_date(make_world: WorldFactory, database_url: str) -> None:
    world = make_world(database_url)
    world.user("ada")
    past = dt.datetime(2020, 1, 2, 3, 4, tzinfo=dt.UTC)
    with world.db.session() as session:
        session.execute(update(ApiToken).values(expires_at=past))
    answer = world.get("ada", "/api/v1/me")
    assert answer.status_code == 401
    assert "expired on 2020-01-02 03:04 UTC" in answer.json()["detail"]


def test_a_user_cannot_revoke_another_users_token(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("ada")
    world.user("bob")
    bobs = world.get("bob", "/api/v1/me/tokens").json()
    assert len(bobs) == 1
    assert world.delete("ada", f"/api/v1/me/tokens/{bobs[0]['id']}").status_code == 404
    assert world.get("bob", "/api/v1/me").status_code == 200


def test_token_list_never_shows_the_secret(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("ada")
    listed = world.get("ada", "/api/v1/me/tokens").json()
    assert listed and all("token" not in t for t in listed)
    assert all(world.tokens["ada"] not in str(t) for t in listed)


def test_the_database_keeps_only_a_digest_of_tokens(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("ada")
    with world.db.session() as session:
        stored = [row.token_hash for row in session.query(ApiToken)]
    assert stored and world.tokens["ada"] not in stored


def test_reads_go_on_while_a_writer_holds_the_sqlite_write_lock(make_world: WorldFactory, sqlite_url: str) -> None:
    """Token checks and the busiest reads take no write lock: a long write never stalls them."""
    import sqlite3
    import threading

    world = make_world(sqlite_url)
    world.user("ada", role=Role.STUDENT)
    listing = f"/api/v1/courses/{world.course}/submissions"
    assert world.get("ada", listing).status_code == 200  # records the token's last use
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock until released below
    held = threading.Event()
    released = threading.Timer(20.0, held.set)  # never deadlock the suite if a read did wait for the lock
    released.start()
    try:
        for path, status in ((listing, 200), ("/api/v1/submissions/999", 404)):
            answer = world.get("ada", path)
            assert answer.status_code == status, answer.text
            assert not held.is_set(), f"{path} waited for the write lock"
    finally:
        released.cancel()
        writer.execute("ROLLBACK")
        writer.close()


def test_a_token_used_again_later_records_its_last_use(make_world: WorldFactory, sqlite_url: str) -> None:
    world = make_world(sqlite_url)
    world.user("ada")
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with world.db.session() as session:
        session.execute(update(ApiToken).values(last_used_at=long_ago))
    assert world.get("ada", "/api/v1/me").status_code == 200
    with world.db.session() as session:
        used = session.scalar(select(ApiToken.last_used_at))
    assert used is not None and used > long_ago
