"""The database: engine, sessions, and the one place transactions are opened."""

from app.db._engine import Database, after_commit, utcnow
from app.db._types import UTCDateTime

__all__ = ["Database", "UTCDateTime", "after_commit", "utcnow"]
