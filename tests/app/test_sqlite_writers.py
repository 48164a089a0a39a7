"""SQLite write transactions of one process queue on a lock of the process, and always give it back."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import PendingRollbackError

from app.db import Database
from app.db._engine import WriteInReadSession
from app.db.models import Role
from app.web.session import COOKIE
from tests.app.conftest import WorldFactory, load_toy, solution_of

T = TypeVar("T")


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with database.session() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    return database


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(text("SELECT count(*) FROM t")) or 0)


def _free(db: Database) -> bool:
    assert db.writer_lock is not None
    return not db.writer_lock.locked()


def test_a_write_transaction_holds_the_lock_until_it_commits(db: Database) -> None:
    assert _free(db)
    with db.session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert not _free(db)
    assert _free(db)
    assert _count(db) == 1


def test_the_lock_is_given_back_when_the_transaction_fails(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), db.session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        raise ZeroDivisionError
    assert _free(db)
    with pytest.raises(Exception, match="no such table"), db.session() as session:
        session.execute(text("INSERT INTO missing VALUES (1)"))
    assert _free(db)
    assert _count(db) == 0


def test_the_lock_is_given_back_when_the_connection_is_invalidated(db: Database) -> None:
    with pytest.raises(PendingRollbackError), db.session() as session:  # the commit finds its connection gone
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.connection().invalidate()
    assert _free(db)
    with db.session() as session:  # a fresh connection writes as before
        session.execute(text("INSERT INTO t VALUES (2)"))
    assert _count(db) == 1  # the first insert was lost with its connection


def test_readers_neither_take_the_lock_nor_wait_for_it(db: Database) -> None:
    with db.session() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(_count(db)))
        reader.start()
        reader.join(20)
        assert seen == [0]  # the snapshot before this uncommitted insert
        assert not _free(db)


def test_writers_of_the_process_take_turns_and_none_is_lost(db: Database) -> None:
    def write(i: int) -> None:
        for _ in range(20):
            with db.session() as session:
                session.execute(text("INSERT INTO t VALUES (:n)"), {"n": i})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    assert _count(db) == 120
    assert _free(db)


def test_a_writer_of_another_process_is_still_waited_for(db: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # as another process's write transaction would
    done = threading.Event()

    def write() -> None:
        with db.session() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not done.wait(0.5)  # SQLite's own lock holds it back
    other.execute("INSERT INTO t VALUES (2)")
    other.execute("COMMIT")
    other.close()
    thread.join(30)
    assert done.is_set()
    assert _count(db) == 2
    assert _free(db)


def test_a_read_session_refuses_to_write_and_writes_nothing(db: Database) -> None:
    with pytest.raises(WriteInReadSession, match="a read session cannot write"), db.read() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    assert _count(db) == 0
    assert _free(db)


def _while_a_write_is_held(db: Database, action: Callable[[], T]) -> T:
    """Run `action` while another thread holds a write transaction open (and with it the writer lock)."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.session() as session:
            session.execute(text("INSERT INTO t VALUES (99)"))
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(20)
        done: list[T] = []
        worker = threading.Thread(target=lambda: done.append(action()))
        worker.start()
        worker.join(20)
        assert done, "the action waited for the writer"
        assert not _free(db) and holder.is_alive()  # it finished while the write was still open
        return done[0]
    finally:
        release.set()
        holder.join(20)


def test_a_dashboard_get_and_a_metrics_scrape_do_not_wait_for_the_writer(
    make_world: WorldFactory, sqlite_url: str
) -> None:
    world = make_world(sqlite_url, metrics_token="scraper-token-for-the-test")
    world.user("alice", role=Role.STUDENT)
    world.add_problem(load_toy("toy-layers"))
    assert world.submit("alice", "toy-layers", solution_of(load_toy("toy-layers"))).status_code == 202
    with world.db.session() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    world.client.cookies.set(COOKIE, world.tokens["alice"])
    assert world.client.get("/").status_code == 200  # the token's first use is recorded (a write of its own)
    scraper = {"Authorization": "Bearer scraper-token-for-the-test"}

    home = _while_a_write_is_held(world.db, lambda: world.client.get("/"))
    course = _while_a_write_is_held(world.db, lambda: world.client.get("/c/dl"))
    scrape = _while_a_write_is_held(world.db, lambda: world.client.get("/metrics", headers=scraper))
    api = _while_a_write_is_held(world.db, lambda: world.get("alice", "/api/v1/me/submissions"))

    assert home.status_code == 200 and 'href="/c/dl"' in home.text
    assert course.status_code == 200 and "toy-layers" in course.text
    assert scrape.status_code == 200 and 'gradelab_submissions{state="queued"} 1.0' in scrape.text
    assert api.status_code == 200 and [(s["problem"], s["status"]) for s in api.json()] == [("toy-layers", "queued")]
