"""Loaded bundles by problem version, kept in memory: a bundle is parsed once per process."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from app.db.models import Problem, ProblemVersion
from grader.bundle import Bundle, load_bundle_zip


class BundleCache:
    """Parsed bundles keyed by version id (a version's bundle never changes)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[int, Bundle] = OrderedDict()
        self._keys: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def seed_key(self, session: Session, problem_id: int) -> bytes:
        """The problem's seed key (made once, never changed, so it is kept for the process's life)."""
        with self._lock:
            if problem_id in self._keys:
                return self._keys[problem_id]
        problem = session.get(Problem, problem_id)
        if problem is None:
            raise LookupError(f"problem {problem_id} does not exist")
        with self._lock:
            self._keys[problem_id] = problem.seed_secret
        return problem.seed_secret

    def get(self, session: Session, version_id: int) -> Bundle:
        """The parsed bundle of a version."""
        with self._lock:
            if version_id in self._items:
                self._items.move_to_end(version_id)
                return self._items[version_id]
        version = session.get(ProblemVersion, version_id)
        if version is None:
            raise LookupError(f"problem version {version_id} does not exist")
        bundle = load_bundle_zip(version.bundle_zip, source=f"version {version_id}")
        self.put(version_id, bundle)
        return bundle

    def put(self, version_id: int, bundle: Bundle) -> None:
        with self._lock:
            self._items[version_id] = bundle
            self._items.move_to_end(version_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
