"""Jobs are sent to the dispatcher after their transaction commits, never from one that rolls back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.deps import ReadSession, WriteSession
from app.db import Database
from app.errors import Invalid, ServiceError
from app.jobs.pool import notify_after_commit


class Recorder:
    """A dispatcher that notes each job id and whether another connection already sees the job's row."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sent: list[tuple[int, bool, bool]] = []  # (job id, row visible elsewhere, writer lock free)

    def notify(self, job_id: int) -> None:
        with self.db.read() as other:
            visible = other.scalar(text("SELECT count(*) FROM jobs WHERE id = :id"), {"id": job_id}) == 1
        free = self.db.writer_lock is None or not self.db.writer_lock.locked()
        self.sent.append((job_id, visible, free))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    with database.session() as session:
        session.execute(text("CREATE TABLE jobs (id INTEGER PRIMARY KEY)"))
    yield database
    database.dispose()


def test_a_committed_job_is_sent_once_after_its_row_is_visible(db: Database) -> None:
    recorder = Recorder(db)
    with db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (1), (2)"))
        notify_after_commit(session, recorder, 1)
        notify_after_commit(session, recorder, 2)
        assert recorder.sent == []  # nothing while the transaction is open
    assert recorder.sent == [(1, True, True), (2, True, True)]
    with db.session() as session:  # the next transaction of a pooled connection sends nothing again
        session.execute(text("INSERT INTO jobs VALUES (3)"))
    assert recorder.sent == [(1, True, True), (2, True, True)]


def test_a_job_of_a_transaction_that_rolls_back_is_never_sent(db: Database) -> None:
    recorder = Recorder(db)
    with pytest.raises(ZeroDivisionError), db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (1)"))
        notify_after_commit(session, recorder, 1)
        raise ZeroDivisionError
    with db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (2)"))
        notify_after_commit(session, recorder, 2)
    assert recorder.sent == [(2, True, True)]  # the rolled-back job's notice was dropped, not carried over


def test_a_job_whose_commit_fails_is_never_sent(db: Database) -> None:
    recorder = Recorder(db)
    with db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (1)"))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (1)"))
        notify_after_commit(session, recorder, 1)
    assert recorder.sent == []


def test_a_read_session_cannot_promise_a_notice(db: Database) -> None:
    with pytest.raises(RuntimeError, match="needs a write session"), db.read() as session:
        notify_after_commit(session, Recorder(db), 1)


def test_sessions_of_other_threads_keep_their_own_notices(db: Database) -> None:
    recorder = Recorder(db)
    entered, go_on = threading.Event(), threading.Event()

    def doomed() -> None:
        try:
            with db.session() as session:
                session.execute(text("INSERT INTO jobs VALUES (7)"))
                notify_after_commit(session, recorder, 7)
                entered.set()
                go_on.wait(30)
                raise ZeroDivisionError
        except ZeroDivisionError:
            pass

    other = threading.Thread(target=doomed)
    other.start()
    assert entered.wait(20)
    go_on.set()
    other.join(20)
    with db.session() as session:
        session.execute(text("INSERT INTO jobs VALUES (8)"))
        notify_after_commit(session, recorder, 8)
    assert recorder.sent == [(8, True, True)]


def _app_on(db: Database, recorder: Recorder) -> TestClient:
    """Two routes on the request-scoped write session: one that commits, one that fails after writing."""
    app = FastAPI()
    app.state.runtime = SimpleNamespace(db=db)

    @app.exception_handler(ServiceError)
    async def refused(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.post("/jobs/{job_id}")
    def add(job_id: int, session: WriteSession) -> dict[str, object]:
        session.execute(text("INSERT INTO jobs VALUES (:id)"), {"id": job_id})
        notify_after_commit(session, recorder, job_id)
        if job_id < 0:
            raise Invalid("negative ids are refused")
        return {"sent_before_the_answer": list(recorder.sent)}

    @app.get("/jobs")
    def count(session: ReadSession) -> int:
        return int(session.scalar(text("SELECT count(*) FROM jobs")) or 0)

    return TestClient(app)


def test_a_route_on_the_write_session_commits_then_sends(db: Database) -> None:
    recorder = Recorder(db)
    with _app_on(db, recorder) as client:
        answer = client.post("/jobs/5")
        assert answer.status_code == 200
        assert answer.json() == {"sent_before_the_answer": []}  # nothing was sent while the route ran
        assert recorder.sent == [(5, True, True)]  # sent once, after the commit
        assert client.get("/jobs").json() == 1


def test_a_route_on_the_write_session_that_fails_writes_and_sends_nothing(db: Database) -> None:
    recorder = Recorder(db)
    with _app_on(db, recorder) as client:
        answer = client.post("/jobs/-1")
        assert (answer.status_code, answer.json()) == (422, {"detail": "negative ids are refused"})
        assert recorder.sent == []
        assert client.get("/jobs").json() == 0
