"""One sweeper at a time across every process: a PostgreSQL advisory lock held on its own connection."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from app.db import Database

log = logging.getLogger("app.leader")

SWEEPER_LOCK = 0x67726164654C6162  # any fixed 64-bit key, the same in every process


class LeaderLock:
    """`held()` is True in exactly one process per database (always True on SQLite: one machine)."""

    def __init__(self, db: Database, key: int = SWEEPER_LOCK) -> None:
        self.db = db
        self.key = key
        self._conn: Any = None

    def held(self) -> bool:
        if self.db.is_sqlite:
            return True
        try:
            if self._conn is not None:
                self._conn.exec_driver_sql("SELECT 1")  # the lock lives as long as this connection does
                return True
            conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({int(self.key)})").scalar()
            if got:
                self._conn = conn
                log.info("this process now runs the sweeper")
                return True
            conn.close()
            return False
        except Exception as exc:  # the connection died: the lock is gone with it; try again next time
            log.warning("sweeper lock lost: %s", exc)
            self.release()
            return False

    def release(self) -> None:
        """Give the lock up: the connection is closed for real, not returned to the pool still holding it."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({int(self.key)})")
            with contextlib.suppress(Exception):
                self._conn.invalidate()
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
