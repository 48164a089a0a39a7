"""A throwaway PostgreSQL server for the tests, started from the installed binaries.

The server lives in a fresh temporary directory (data directory, log file and unix socket),
listens on a random free port on 127.0.0.1 only, trusts every local connection, and is
stopped and deleted when the test session ends. It never touches the system's own cluster
(port 5432).

It is driven by pytest-postgresql's ``PostgreSQLExecutor`` (``pg_ctl initdb`` / ``pg_ctl
start -w`` / ``pg_ctl stop -m fast``). PostgreSQL refuses to run as root, so when the tests
run as root the executor is handed a two-line wrapper instead of ``pg_ctl`` itself: it runs
the real ``pg_ctl`` as the ``postgres`` system user through ``runuser``, and the temporary
directory is chown'ed to that user. As any other user the real ``pg_ctl`` is used directly.
We do not use pytest-postgresql's ``postgresql_proc`` factory because it puts the data
directory under pytest's basetemp, which is private to root and so unreachable for the
``postgres`` user.

A machine without the binaries skips loudly, naming the apt package to install; under
``CI=true`` it fails instead, because CI must skip nothing.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy.engine import URL

APT_PACKAGE = "postgresql"
HOST = "127.0.0.1"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # the system user that runs the server when the tests run as root
START_TIMEOUT = 30  # seconds; startup normally takes well under 2

# Durability is worthless for a server that is deleted at the end of the session.
# A whole test session shares one server and opens many databases and pools: room for them all.
SERVER_OPTIONS = (
    f"-c listen_addresses={HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=500"
)


class PostgresUnavailable(RuntimeError):
    """This machine cannot run a throwaway PostgreSQL server (binaries or the postgres user missing)."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server; connect as ``user`` over TCP with no password."""

    host: str
    port: int
    user: str
    socket_dir: str

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        url = URL.create("postgresql+psycopg", username=self.user, host=self.host, port=self.port, database=database)
        return url.render_as_string(hide_password=False)

    def new_database(self, name: str) -> str:
        """Create the empty database ``name`` and return its SQLAlchemy URL."""
        connection = psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True)
        with connection as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and postgres: ``pg_config --bindir``, else the newest /usr/lib one."""
    candidates: list[Path] = []
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10, check=True)
        candidates.append(Path(out.stdout.strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / exe, os.X_OK) for exe in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via `pg_config --bindir` "
        "or in /usr/lib/postgresql/*/bin"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pg_ctl_as(user: pwd.struct_passwd, pg_ctl: Path, wrapper_dir: Path) -> Path:
    """A pg_ctl stand-in that runs the real one as ``user``: PostgreSQL will not run as root."""
    runuser = shutil.which("runuser") or "runuser"
    wrapper = wrapper_dir / "pg_ctl"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'cd / && exec {shlex.quote(runuser)} -u {shlex.quote(user.pw_name)} -- {shlex.quote(str(pg_ctl))} "$@"\n'
    )
    wrapper.chmod(stat.S_IRWXU)
    return wrapper


def _log_tail(logfile: Path, lines: int = 30) -> str:
    try:
        return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _check_available() -> tuple[Path, pwd.struct_passwd | None]:
    """The PostgreSQL bin directory, and the user to run the server as when we are root (else None).

    :raises PostgresUnavailable: no PostgreSQL binaries, or, as root, no postgres user or runuser.
    """
    bindir = find_bindir()
    if os.geteuid() != 0:
        return bindir, None
    try:
        owner = pwd.getpwnam(RUN_AS)
    except KeyError:
        raise PostgresUnavailable(f"running as root, but there is no `{RUN_AS}` system user to run it as") from None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root, but `runuser` (util-linux) is missing to drop to the postgres user")
    return bindir, owner


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL server; stop it and delete all its files on exit.

    :raises PostgresUnavailable: this machine cannot run one (see ``_check_available``).
    """
    bindir, owner = _check_available()
    with ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gradelab-pg-")))
        pg_ctl = bindir / "pg_ctl"
        if owner is not None:
            wrapper_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gradelab-pgctl-")))
            pg_ctl = _pg_ctl_as(owner, pg_ctl, wrapper_dir)
            os.chown(base, owner.pw_uid, owner.pw_gid)

        port = _free_port()
        logfile = base / "postgresql.log"
        executor = PostgreSQLExecutor(
            executable=str(pg_ctl),
            host=HOST,
            port=port,
            datadir=str(base / "data"),
            unixsocketdir=str(base),
            logfile=str(logfile),
            startparams="-w",
            dbname="postgres",
            user=SUPERUSER,
            timeout=START_TIMEOUT,
            postgres_options=SERVER_OPTIONS,
        )
        try:
            executor.start()
        except Exception as exc:
            with suppress(Exception):  # a server that came up too late must not outlive its deleted directory
                executor.stop()
            executor.kill()
            raise RuntimeError(f"the throwaway PostgreSQL server did not start: {exc}\n{_log_tail(logfile)}") from exc
        server = PostgresServer(host=HOST, port=port, user=SUPERUSER, socket_dir=str(base))
        try:
            _wait_until_accepting(server, logfile)
            yield server
        finally:
            executor.stop()


def _wait_until_accepting(server: PostgresServer, logfile: Path) -> None:
    """Wait until the server takes connections: on a loaded machine it may still be "starting up" after pg_ctl."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            psycopg.connect(host=server.host, port=server.port, user=server.user, dbname="postgres").close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                tail = _log_tail(logfile)
                raise RuntimeError(f"the throwaway PostgreSQL server never took connections: {exc}\n{tail}") from exc
            time.sleep(0.2)


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole session; ``.new_database(name)`` gives a fresh database's URL.

    Without PostgreSQL binaries: a LOUD skip elsewhere, a failure in CI (``CI=true``).
    """
    try:
        _check_available()
        problem = None
    except PostgresUnavailable as exc:
        problem = str(exc)
    if problem is not None:  # reported outside the except block, so no chained traceback clutters it
        verdict = "FAILED (CI must skip nothing)" if _is_ci() else "SKIPPED"
        message = (
            f"POSTGRESQL UNAVAILABLE, PostgreSQL tests {verdict}: {problem}. "
            f"Install the server binaries with `apt-get install {APT_PACKAGE}`."
        )
        if _is_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with running_postgres() as server:
        yield server
