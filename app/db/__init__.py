"""The database: engine, sessions, and the one place transactions are opened."""

from app.db._engine import Database, utcnow
from app.db._types import UTCDateTime

__all__ = ["Database", "UTCDateTime", "utcnow"]
