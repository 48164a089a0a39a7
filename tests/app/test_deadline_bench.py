"""The deadline benchmark (bench/deadline.py) still runs, at a tiny scale, embedded and distributed, in every
queue order this code has; in the fair order it must show the properties it measures: no student's first
submission waits while someone's later one starts, and no live job starts after a regrade queued after it."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import deadline
from bench._servers import RedisServer
from grader.sandbox import Sandbox

TINY = deadline.Scenario(students=10, most=3, window=3.0, flood=20, flood_at=0.3, history=10, regrade_at=1.0, seed=7)


def _arrivals(scenario: deadline.Scenario) -> int:
    """How many live submissions the scenario sends (the class's and the flood)."""
    import random

    rng = random.Random(scenario.seed)
    _, solution, wrong = deadline._pack_files(deadline.LIVE)
    count = 0
    for _ in range(scenario.students):
        for _ in range(rng.randint(1, scenario.most)):
            rng.uniform(0, scenario.window)
            deadline._draw(rng, solution, wrong)
            count += 1
    return count + scenario.flood


def _check(result: dict[str, Any], order: str) -> None:
    assert result["order"] == order
    assert result["refused"] == [], f"the service failed to take submissions: {result['refused'][:3]}"
    assert result["live_jobs"] == _arrivals(TINY)  # every submission sent was stored
    assert result["regrade_jobs"] == TINY.history
    assert result["first"]["n"] == TINY.students  # every student's work began grading
    # nothing lost: every job is graded, but for the ones a later submission superseded
    states = result["states"]
    assert states.get("graded", 0) + states.get("superseded", 0) == TINY.history + result["live_jobs"]
    assert states.get("graded", 0) >= TINY.history + TINY.students
    rows = result["jobs"]
    assert all(r[4] is not None and r[5] is not None for r in rows if r[6] == "graded")
    if order == "fair":
        assert result["overtaken_firsts"] == 0, "a first submission waited while someone's later one started"
        assert result["behind_regrade"] == 0, "a live job started after a regrade job queued after it"
    table = deadline.report([result], TINY)
    assert "students' first submission: wait p95" in table and order in table


def _orders() -> tuple[str, ...]:
    return deadline.ORDERS if deadline.has_fair_order() else ("fifo",)


def test_deadline_bench_embedded(sandbox: Sandbox, tmp_path: Path) -> None:
    for order in _orders():
        url = f"sqlite:///{tmp_path / f'{order}.db'}"
        _check(deadline.run_variant("embedded", order, url, TINY, 2, tmp_path), order)


def test_deadline_bench_distributed(sandbox: Sandbox, postgres_server: Any, tmp_path: Path) -> None:
    executable = shutil.which("redis-server")
    assert executable, "redis-server is needed (the session's redis_server fixture says how to install it)"
    with tempfile.TemporaryDirectory(prefix="gradelab-deadline-redis-") as folder:
        redis = RedisServer(executable, Path(folder))
        try:
            for order in _orders():
                url = postgres_server.new_database(f"deadline_{uuid.uuid4().hex[:12]}")
                deadline._flush_redis(redis.url)
                _check(deadline.run_variant("distributed", order, url, TINY, 2, tmp_path, redis.url), order)
        finally:
            redis.stop()


def test_deadline_measures_order_from_rows() -> None:
    """The order counts on hand-made rows: first submissions overtaken, a live job behind the regrade."""
    job = deadline._Job
    live = [
        job(1, 10, False, 0.0, 0.0, 1.0, "graded"),  # the flooder's first
        job(2, 10, False, 0.0, 3.0, 4.0, "graded"),  # the flooder's second...
        job(3, 10, False, 0.0, 1.0, 2.8, "graded"),  # ...passed by his third
        job(4, 20, False, 0.5, 1.5, 2.5, "graded"),  # a first submission, waiting while job 3 started
        job(5, 30, False, 0.2, 5.0, 6.0, "graded"),  # startable, passed over by the regrade job below
    ]
    first = {20: live[3], 30: live[4]}
    assert deadline._overtaken_firsts(live, first) == 2  # jobs 4 and 5 waited while job 3 started
    regrade = [job(6, 40, True, 2.0, 2.5, 3.0, "graded")]
    assert deadline._behind_regrade(live, regrade) == 1  # job 5 (job 2's author was running at 2.5: not counted)
    assert deadline._passed_over(live, regrade) == 1  # job 5 again: waiting, startable, passed by the regrade job
    assert deadline._passed_over(live, [job(7, 40, True, 9.0, 0.1, 0.2, "graded")]) == 0  # started before all
