"""Loaded bundles by problem version, kept in memory: a bundle is parsed once per process."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from app.db.models import ProblemVersion
from grader.bundle import Bundle, load_bundle_zip


class BundleCache:
    """Parsed bundles keyed by version id (a version's bundle never changes)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[int, Bundle] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int) -> Bundle:
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
