"""Throwaway servers for the bench and the tests: PostgreSQL, Redis and the gradelab web process.

Only the standard library and the runtime install (psycopg, SQLAlchemy) are used, so the bench runs
without the test install; the tests' fixtures (tests/_postgres.py, tests/_redis.py) wrap this module.

PostgreSQL lives in a fresh temporary directory (data directory, log file and unix socket), listens
on a random free port on 127.0.0.1 only, trusts every local connection, and is stopped and deleted at
the end. It never touches the system's own cluster (port 5432). It is driven by `pg_ctl` (`pg_ctl
initdb`, `pg_ctl start -w`, `pg_ctl stop -m fast`). PostgreSQL refuses to run as root, so as root
`pg_ctl` runs as the `postgres` system user through `runuser`, and the temporary directory is
chown'ed to that user; as any other user it runs directly.

Redis is `redis-server` on a random loopback port with its own data directory; `restart()` stops
and starts it on the same port (what a Redis outage looks like to the service).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# ---------------------------------------------------------------------------------------------- PostgreSQL

POSTGRES_APT_PACKAGE = "postgresql"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # the system user that runs the server when we run as root
START_TIMEOUT = 30  # seconds; startup normally takes well under 2
MIN_POSTGRES_VERSION = 14
_LOCALE = "C.UTF-8"

# Durability is worthless for a server that is deleted at the end.
# A whole test session shares one server and opens many databases and pools: room for them all.
SERVER_OPTIONS = (
    f"-c listen_addresses={HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500"
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _log_tail(logfile: Path, lines: int = 30) -> str:
    try:
        return "\n".join(logfile.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def check_postgres() -> tuple[Path, pwd.struct_passwd | None]:
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


class _PgCtl:
    """`pg_ctl` on one data directory, run as ``owner`` (through runuser) when given."""

    def __init__(self, bindir: Path, owner: pwd.struct_passwd | None, datadir: Path) -> None:
        self.exe = str(bindir / "pg_ctl")
        self.prefix = [] if owner is None else [shutil.which("runuser") or "runuser", "-u", owner.pw_name, "--"]
        self.datadir = str(datadir)
        self.env = {**os.environ, "LC_ALL": _LOCALE, "LC_CTYPE": _LOCALE, "LANG": _LOCALE}
        self.env.pop("PGDATA", None)

    def __call__(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run ``pg_ctl args`` (in its own session, so a Ctrl-C at the terminal reaches only us); raise on failure."""
        try:
            return subprocess.run(
                [*self.prefix, self.exe, *args],
                cwd="/",  # the postgres user may not be able to enter our working directory
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
                start_new_session=True,
            )
        except subprocess.CalledProcessError as exc:
            said = (exc.stderr or exc.stdout or "").strip()
            raise RuntimeError(f"`pg_ctl {args[0]}` failed (exit {exc.returncode}): {said}") from None

    def version(self) -> int:
        out = subprocess.run([self.exe, "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
        found = re.search(r" (\d+)", out)
        return int(found.group(1)) if found else 0


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL server; stop it and delete all its files on exit.

    :raises PostgresUnavailable: this machine cannot run one (see ``check_postgres``).
    """
    bindir, owner = check_postgres()
    with ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gradelab-pg-")))
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        datadir, logfile = base / "data", base / "postgresql.log"
        pg_ctl = _PgCtl(bindir, owner, datadir)
        version = pg_ctl.version()
        if version < MIN_POSTGRES_VERSION:
            raise RuntimeError(f"PostgreSQL {version} is too old: {MIN_POSTGRES_VERSION} or newer is needed")
        port = free_port()
        socket_dir = str(base).replace("'", "''")  # quoted as a PostgreSQL setting
        options = (
            f"-F -p {port} -c log_destination='stderr' -c logging_collector=off "
            f"-c unix_socket_directories='{socket_dir}' {SERVER_OPTIONS}"
        )
        try:
            pg_ctl("initdb", "--pgdata", str(datadir), "-o", f"--username={SUPERUSER} --auth=trust")
            start = ("-D", str(datadir), "-o", options, "-l", str(logfile), "-w", "-t", str(START_TIMEOUT))
            pg_ctl("start", *start, timeout=START_TIMEOUT + 10)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            with suppress(Exception):  # a server that came up too late must not outlive its deleted directory
                pg_ctl("stop", "-D", str(datadir), "-m", "immediate")
            raise RuntimeError(f"the throwaway PostgreSQL server did not start: {exc}\n{_log_tail(logfile)}") from exc
        server = PostgresServer(host=HOST, port=port, user=SUPERUSER, socket_dir=str(base))
        try:
            _wait_until_accepting(server, logfile)
            yield server
        finally:
            pg_ctl("stop", "-D", str(datadir), "-m", "fast")


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


# ---------------------------------------------------------------------------------------------- Redis

REDIS_APT_PACKAGE = "redis-server"
REDIS_TIMEOUT = 60  # seconds to wait for redis-server to take connections, or to stop


class RedisUnavailable(RuntimeError):
    """This machine has no `redis-server`."""


def find_redis() -> str:
    """The path of `redis-server`.

    :raises RedisUnavailable: it is not installed.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        raise RedisUnavailable("no `redis-server` on the PATH")
    return executable


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.connect((HOST, port))
        except OSError:
            return False
    return True


class RedisServer:
    """A running `redis-server` on a random loopback port, its files in ``datadir``; ``stop()`` when done."""

    def __init__(self, executable: str, datadir: Path) -> None:
        self.port = free_port()
        self.datadir = datadir
        self.command = [
            executable,
            *("--daemonize", "no", "--rdbcompression", "yes", "--rdbchecksum", "no", "--appendonly", "no"),
            *("--databases", "4", "--timeout", "30"),
            *("--pidfile", str(datadir / f"redis-server.{self.port}.pid")),
            *("--unixsocket", str(datadir / f"redis.{self.port}.sock")),
            *("--dbfilename", f"dump.{self.port}.rdb"),
            *("--logfile", str(self.logfile), "--loglevel", "warning", "--syslog-enabled", "no"),
            *("--bind", HOST, "--port", str(self.port), "--dir", str(datadir)),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def logfile(self) -> Path:
        return self.datadir / f"redis-server.{self.port}.log"

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        if _accepts(self.port):
            raise RuntimeError(f"something already listens on {HOST}:{self.port}; Redis cannot start there")
        self.process = subprocess.Popen(
            self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + REDIS_TIMEOUT
        while not _accepts(self.port):
            code = self.process.poll()
            if code is not None or time.monotonic() > deadline:
                self._kill()
                said = f"exited with {code}" if code is not None else f"took no connection in {REDIS_TIMEOUT} s"
                raise RuntimeError(f"the throwaway Redis server {said}\n{_log_tail(self.logfile)}")
            time.sleep(0.1)

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not ended within the timeout."""
        process = self.process
        if process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            code = process.wait(REDIS_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
            return
        self.process = None
        if code not in (0, -signal.SIGTERM):
            raise RuntimeError(f"the throwaway Redis server ended with {code}\n{_log_tail(self.logfile)}")

    def _kill(self) -> None:
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """Start a throwaway Redis server in a temporary directory; stop it and delete its files on exit.

    :raises RedisUnavailable: `redis-server` is not installed.
    """
    executable = find_redis()
    with tempfile.TemporaryDirectory(prefix="gradelab-redis-") as datadir:
        server = RedisServer(executable, Path(datadir))
        try:
            yield server
        finally:
            server.stop()


# ---------------------------------------------------------------------------------------------- gradelab web


class Server:
    """`python -m app serve` on a free port with ``env``, its output in ``log``; ``request()`` speaks JSON to it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start; see {log}")
            time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
        self.log.close()


def multipart(field: str, files: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body with ``files`` (name to content) under ``field``, and its content type."""
    boundary = "gradelab-test-boundary"
    parts = []
    for name, content in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
