"""Check kits for starter downloads: built on demand from the reference run, once per version and seed key."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import structlog

from app.jobs.pool import acquire_sandboxes
from grader.bundle import Bundle
from grader.grading import ReferenceCache, ReferenceFailure, check_kit
from grader.sandbox import Sandbox, SandboxUnavailable

log = structlog.get_logger("app.kits")

Kit = dict[str, bytes]


class CheckKits:
    """Kits by (problem version, seed key): the reference run they come from is the grading's own (shared cache),
    computed in a sandbox of this process's own, taken the first time a kit is built."""

    def __init__(self, references: ReferenceCache, backend: str, size: int = 32) -> None:
        self.references = references
        self.size = size
        self.acquire: Callable[[], Sandbox] = lambda: acquire_sandboxes(1, backend)[0]
        self._kits: OrderedDict[tuple[int, str], Kit] = OrderedDict()
        self._lock = threading.Lock()
        self._building = threading.Lock()  # one build at a time: builds share the one sandbox
        self._sandbox: Sandbox | None = None

    def get(self, version_id: int, bundle: Bundle, seed_key: bytes) -> Kit | None:
        """The kit of this version for this seed key; None when it cannot be built here (said in the log)."""
        key = (version_id, hashlib.sha256(seed_key).hexdigest())
        with self._lock:
            if key in self._kits:
                self._kits.move_to_end(key)
                return self._kits[key]
        with self._building:
            with self._lock:
                if key in self._kits:
                    return self._kits[key]
            try:
                if self._sandbox is None:
                    self._sandbox = self.acquire()
                kit = check_kit(self.references.prepared(bundle, self._sandbox, seed_key))
            except (SandboxUnavailable, ReferenceFailure) as exc:
                log.warning("check_kit_unavailable", version_id=version_id, problem=bundle.slug, error=str(exc))
                return None
        with self._lock:
            self._kits[key] = kit
            while len(self._kits) > self.size:
                self._kits.popitem(last=False)
        return kit

    def close(self) -> None:
        with self._building:
            sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.close()
