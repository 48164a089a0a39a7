"""Engine and session factory; SQLite is tuned for one writer and many readers (WAL)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class Database:
    """One engine and its sessions. Only the outermost caller (a request or a task) commits."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                private_sqlite_file(Path(parsed.database))
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(url, **kwargs)
        # On SQLite, the lock this process's write transactions queue on (see _tune_sqlite).
        self.writer_lock: threading.Lock | None = _tune_sqlite(self.engine) if self.is_sqlite else None
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._read_factory = sessionmaker(
            self.engine.execution_options(gradelab_read=True), expire_on_commit=False, info={"gradelab_read": True}
        )
        event.listen(self._factory, "after_commit", _commit_actions)
        event.listen(self._factory, "after_rollback", _drop_actions)
        event.listen(self.engine, "before_cursor_execute", _refuse_writes_in_reads)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends normally and rolls back otherwise.

        Actions queued with `after_commit` run once the commit has succeeded and the connection (with,
        on SQLite, the writer lock) is back in the pool; a rollback drops them."""
        with self._factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                ready: list[Callable[[], None]] = session.info.pop(_READY, [])
        for action in ready:
            action()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only: on SQLite its transaction is a plain (deferred) BEGIN, so readers
        neither wait for the writer nor for each other (WAL). Closing it at the end rolls its transaction back;
        the objects it loaded keep their values (detached), as those of a committed `session` do."""
        with self._read_factory() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


_PENDING = "gradelab_after_commit"
_READY = "gradelab_committed"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once this write session's transaction has committed (never if it rolls back)."""
    if session.info.get("gradelab_read"):
        raise RuntimeError("after_commit needs a write session (Database.session), not a read one")
    session.info.setdefault(_PENDING, []).append(action)


def _commit_actions(session: Session) -> None:
    session.info.setdefault(_READY, []).extend(session.info.pop(_PENDING, []))


def _drop_actions(session: Session) -> None:
    session.info.pop(_PENDING, None)


class WriteInReadSession(RuntimeError):
    """A statement that writes ran in a read session, whose transaction is always rolled back."""


_WRITING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _refuse_writes_in_reads(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
    # A read session's transaction is rolled back at its end: a write there would be lost without a word.
    if not conn.get_execution_options().get("gradelab_read"):
        return
    compiled = context is not None and (context.isinsert or context.isupdate or context.isdelete)
    if compiled or statement.lstrip()[:7].upper().startswith(_WRITING):
        raise WriteInReadSession(f"a read session cannot write (use Database.session): {statement[:80]}")


BUSY_SECONDS = 30.0
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_sqlite_file(path: Path) -> None:
    """Make the database file 0600 (its folder 0700 when we create it) before SQLite opens it.

    It holds password hashes, reference solutions and submissions. SQLite creates the WAL,
    shared-memory and journal files with the database file's mode, so those follow; files left
    by an older version with wider modes are tightened here."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except FileNotFoundError:
            continue


def _tune_sqlite(engine: Engine) -> threading.Lock:
    # SQLite lets one transaction write at a time, and a writer that finds the lock taken polls for it,
    # sleeping 1, 2, 5, 10 ... 100 ms between tries: under a burst (students submitting while the slots
    # store results) the CPU sat idle while writers slept past the moment the lock came free. Writers of
    # this process therefore queue on a lock of its own first, which wakes the next one at once; SQLite's
    # own wait still covers other processes. The lock is taken when a write transaction begins and given
    # back when its connection goes back to the pool, after the commit or rollback.
    writers = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transactions into our own hands: pysqlite's implicit BEGIN would start every
        # transaction as a reader, and a reader that later writes fails at once with
        # "database is locked" instead of waiting for the writer.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        cur.close()
        # SQLite's own lower() folds ASCII only; PostgreSQL's folds every letter (a name filter finds "Émile")
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A transaction that may write takes the write lock at once; a read-only one (Database.read) never does.
        if conn.get_execution_options().get("gradelab_read"):
            conn.exec_driver_sql("BEGIN")
            return
        info = conn.connection.info  # the pooled connection's: it is still there at check-in
        if not info.get("gradelab_writer"):
            # Past the timeout it goes on without: SQLite's own wait then decides, as it would have.
            info["gradelab_writer"] = writers.acquire(timeout=BUSY_SECONDS)
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop("gradelab_writer", False):
            writers.release()

    return writers


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value
