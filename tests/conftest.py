"""Fixtures shared by the whole suite: the real sandbox and the example bundles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import app.security
from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, sandbox_preload
from grader.sandbox import Sandbox, SandboxUnavailable, default_sandbox
from tests._postgres import postgres_server  # noqa: F401  (the throwaway PostgreSQL server fixture)
from tests._redis import redis_server  # noqa: F401  (the throwaway Redis server fixture)

# Passwords in this test process are real Argon2id hashes at the library's lowest cost, not the service's
# (64 MiB, 3 passes): the suite creates thousands of accounts, and the cost is a deployment setting whose
# hashing the tests do not examine. Servers the tests start as subprocesses keep the real cost.
app.security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
app.security._DUMMY_HASH = app.security._hasher.hash("not a password anyone has")

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = Path(__file__).resolve().parent / "bundles"


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The real sandbox; a machine without one fails loudly in CI and skips loudly elsewhere."""
    try:
        return default_sandbox(preload=sandbox_preload())
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"SANDBOX UNAVAILABLE, sandboxed tests skipped: {exc}")


@pytest.fixture(scope="session")
def reference_cache() -> ReferenceCache:
    return ReferenceCache()


@pytest.fixture(scope="session")
def toy_layers() -> Bundle:
    return load_bundle(BUNDLES / "toy-layers")


@pytest.fixture(scope="session")
def toy_classifier() -> Bundle:
    return load_bundle(BUNDLES / "toy-classifier")
