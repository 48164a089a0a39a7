"""Distributed mode: throughput of one grading worker vs two on the same PostgreSQL and Redis.

PostgreSQL and Redis are throwaway servers started from the installed binaries (bench/_servers.py,
which the tests share); a web process takes the submissions, 1 or 2 worker processes with one slot
each grade them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench._common import table
from bench._servers import (
    POSTGRES_APT_PACKAGE,
    REDIS_APT_PACKAGE,
    PostgresUnavailable,
    RedisUnavailable,
    Server,
    check_postgres,
    find_redis,
    multipart,
    running_postgres,
    running_redis,
)

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "reference" / "layers" / "solution" / "layers.py").read_bytes()


def _round(url: str, redis_url: str, workers: int, n: int, folder: Path) -> float:
    from sqlalchemy import update

    from app.accounts.service import create_user, issue_token
    from app.courses.service import create_course, enrol
    from app.db import Database, migrate
    from app.db.models import Problem, Role
    from app.setup import install_pack

    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        course = create_course(session, "bench", "Bench")
        install_pack(session, course)
        # one account sends the whole burst: every submission is graded, none supersedes another
        session.execute(update(Problem).where(Problem.course_id == course.id).values(supersede_queued=False))
        user = create_user(session, "student")
        enrol(session, course, user, Role.STUDENT)
        _, token = issue_token(session, user)
    env = {
        **os.environ,
        "GRADELAB_MODE": "distributed",
        "GRADELAB_DATABASE_URL": url,
        "GRADELAB_REDIS_URL": redis_url,
        "GRADELAB_DATA_DIR": str(folder),
        "GRADELAB_SLOTS": "1",
        "GRADELAB_RUNNING_PER_STUDENT": "0",  # the load comes from one account: measure the slots, not the limit
    }
    web = Server(env, folder / f"web-{workers}.log")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--slots", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        body, ctype = multipart("files", {"layers.py": SOLUTION})
        # one to warm the reference cache of every worker, then the measured batch
        for _ in range(workers):
            web.request("POST", "/api/v1/courses/bench/problems/layers/submissions", token, body, ctype)
        _wait(db, workers)
        t0 = time.monotonic()
        for _ in range(n):
            status, _ = web.request("POST", "/api/v1/courses/bench/problems/layers/submissions", token, body, ctype)
            assert status == 202
        _wait(db, n + workers)
        return n / (time.monotonic() - t0)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(120)
        web.stop()
        db.dispose()


def _wait(db: object, total: int) -> None:
    from sqlalchemy import func, select

    from app.db.models import Submission, SubmissionState

    while True:
        with db.session() as session:  # type: ignore[attr-defined]
            done = session.scalar(select(func.count()).where(Submission.state == SubmissionState.GRADED))
        if done >= total:
            return
        time.sleep(0.1)


def missing() -> str | None:
    """What this machine lacks for table 6, said before any benchmark starts; None when nothing is missing.

    The table starts its own PostgreSQL and Redis servers from their binaries, which `scripts/start.sh`
    does not install.
    """
    try:
        check_postgres()
    except PostgresUnavailable as exc:
        return (
            f"table 6 (distributed mode) starts its own PostgreSQL server: {exc}; "
            f"`apt-get install {POSTGRES_APT_PACKAGE}`"
        )
    try:
        find_redis()
    except RedisUnavailable as exc:
        return f"table 6 (distributed mode) starts its own Redis server: {exc}; `apt-get install {REDIS_APT_PACKAGE}`"
    return None


def run(n: int) -> str:
    rows = []
    with running_postgres() as pg, running_redis() as redis, tempfile.TemporaryDirectory() as tmp:
        results = {}
        for workers in (1, 2):
            url = pg.new_database(f"bench_{uuid.uuid4().hex[:8]}")
            results[workers] = _round(url, redis.url, workers, n, Path(tmp))
        for workers, rate in results.items():
            rows.append([f"{workers} worker(s) x 1 slot", f"{rate:.2f} submissions/s", f"{rate / results[1]:.2f}"])
    return table(
        f"6. Distributed mode: `layers` submissions graded per second ({n} per run)",
        ["", "throughput", "vs one worker"],
        rows,
    )
