"""The throwaway PostgreSQL server fixture: one server for the whole test session.

The server itself (a temporary directory, a random loopback port, `pg_ctl` run as the `postgres`
user when the tests run as root) is started by ``bench._servers``, which the bench shares and which
needs no test framework.

A machine without the binaries skips loudly, naming the apt package to install; under
``CI=true`` it fails instead, because CI must skip nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench._servers import (
    POSTGRES_APT_PACKAGE,
    PostgresServer,
    PostgresUnavailable,
    check_postgres,
    find_bindir,
    running_postgres,
)

__all__ = ["PostgresServer", "PostgresUnavailable", "find_bindir", "postgres_server", "running_postgres"]


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session; ``.new_database(name)`` gives a fresh database's URL.

    Without PostgreSQL binaries: a LOUD skip elsewhere, a failure in CI (``CI=true``).
    """
    try:
        check_postgres()
        problem = None
    except PostgresUnavailable as exc:
        problem = str(exc)
    if problem is not None:  # reported outside the except block, so no chained traceback clutters it
        verdict = "FAILED (CI must skip nothing)" if _is_ci() else "SKIPPED"
        message = (
            f"POSTGRESQL UNAVAILABLE, PostgreSQL tests {verdict}: {problem}. "
            f"Install the server binaries with `apt-get install {POSTGRES_APT_PACKAGE}`."
        )
        if _is_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with running_postgres() as server:
        yield server
