"""A distributed deployment on one machine: PostgreSQL and Redis started by the tests, web and worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.service import create_user, issue_token
from app.courses.service import create_course, enrol
from app.db import Database, migrate
from app.db.models import Course, Role, Submission, SubmissionState
from app.problems.service import add_problem
from bench._servers import RedisServer, Server
from tests.app.conftest import load_toy

ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    """Web and worker processes of the distributed mode on one PostgreSQL and one Redis."""

    def __init__(self, url: str, redis: RedisServer, tmp: Path) -> None:
        self.url = url
        self.redis = redis
        self.tmp = tmp
        self.db = Database(url)
        self.env = {
            **os.environ,
            "GRADELAB_MODE": "distributed",
            "GRADELAB_DATABASE_URL": url,
            "GRADELAB_REDIS_URL": redis.url,
            "GRADELAB_DATA_DIR": str(tmp),
            "GRADELAB_SLOTS": "1",
            "GRADELAB_LEASE_SECONDS": "3",
            "GRADELAB_SWEEP_INTERVAL_SECONDS": "1",
            "GRADELAB_REQUEUE_AFTER_SECONDS": "5",
            "GRADELAB_CHECK_UPLOADS": "false",
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[Any] = []
        self.webs: list[Server] = []
        self.tokens: dict[str, str] = {}
        with self.db.session() as session:
            course = create_course(session, "dl", "DL")
            problem, _ = add_problem(session, course, load_toy("toy-layers"), None, None)
            problem.published = True
            problem.supersede_queued = False  # these tests count every submission graded, however fast it came

    def student(self, name: str) -> str:
        with self.db.session() as session:
            course = session.scalar(select(Course).where(Course.slug == "dl"))
            assert course is not None
            user = create_user(session, name)
            enrol(session, course, user, Role.STUDENT)
            _, self.tokens[name] = issue_token(session, user)
        return self.tokens[name]

    def start_web(self) -> Server:
        web = Server(self.env, self.tmp / f"web-{len(self.webs)}.log")
        self.webs.append(web)
        return web

    def start_worker(self, metrics_port: int | None = None) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.workers)}.log").open("wb")
        extra = ["--metrics-port", str(metrics_port)] if metrics_port else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--slots", "1", *extra],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        self._logs.append(log)
        return proc

    def counts(self) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(select(Submission.state, func.count()).group_by(Submission.state))
            return {state.value: n for state, n in rows}

    def wait_all_done(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            if counts.get(SubmissionState.GRADED.value, 0) + counts.get(SubmissionState.FAILED.value, 0) >= total:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not all {total} submissions finished: {counts}\n{self.logs()}")
            time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.tmp.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        for web in self.webs:
            web.stop()
        for log in self._logs:
            log.close()
        self.db.dispose()


@pytest.fixture
def cluster(postgres_server: Any) -> Iterator[Cluster]:
    url = postgres_server.new_database(f"d_{uuid.uuid4().hex[:12]}")
    migrate.upgrade(url)
    import shutil

    executable = shutil.which("redis-server")
    assert executable, "redis-server is needed (the session's redis_server fixture says how to install it)"
    with tempfile.TemporaryDirectory(prefix="gradelab-cluster-") as tmp:
        (Path(tmp) / "redis").mkdir()
        redis = RedisServer(executable, Path(tmp) / "redis")
        cluster = Cluster(url, redis, Path(tmp))
        try:
            yield cluster
        finally:
            cluster.stop()
            redis.stop()
