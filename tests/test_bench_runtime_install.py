"""`python -m bench` needs only the runtime install: no test framework, nothing from tests/."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the `dev` extra brings (and what it pulls in for the servers), and the tests themselves.
NOT_IN_THE_RUNTIME_INSTALL = (
    "pytest",
    "_pytest",
    "pytest_postgresql",
    "pytest_redis",
    "mirakuru",
    "port_for",
    "hypothesis",
    "schemathesis",
    "playwright",
    "aiosmtpd",
    "tests",
)

PROBE = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys

    BLOCKED = set(sys.argv[1:])

    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    import bench
    names = sorted(f"bench.{m.name}" for m in pkgutil.iter_modules(bench.__path__))
    for name in names:
        importlib.import_module(name)
    print("imported", " ".join(names))

    from bench import distributed
    from bench._servers import running_postgres, running_redis
    import psycopg, redis

    print("table 6 lacks:", distributed.missing())
    with running_postgres() as pg:
        pg.new_database("probe")
        with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, dbname="probe") as conn:
            print("postgres max_connections:", conn.execute("show max_connections").fetchone()[0])
    with running_redis() as server:
        client = redis.Redis.from_url(server.url)
        client.set("probe", "yes")
        print("redis says:", client.get("probe").decode())
        client.close()
    """
)


def test_the_bench_imports_and_starts_its_servers_without_the_test_install() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *NOT_IN_THE_RUNTIME_INSTALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    imported = lines[0].split()
    assert imported[0] == "imported"
    assert {"bench.__main__", "bench._servers", "bench.distributed", "bench.service"} <= set(imported[1:])
    assert lines[1:] == [
        "table 6 lacks: None",
        "postgres max_connections: 500",
        "redis says: yes",
    ]
