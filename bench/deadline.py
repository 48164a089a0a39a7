"""A deadline: fair order against first come, first served, embedded and distributed, in one run.

`python -m bench.deadline` (or part 9 of `python -m bench`). The scenario, at `--scale 1`:

- a class of 300 students submit `layers` 1 to 5 times each, at times drawn uniformly over 60 s
  (seeded RNG); each file is the reference solution or the solution with one known mistake of
  the pack (`reference/layers/mistakes/`), so every job is real grading in the real sandbox;
- at t = 5 s one student floods 300 submissions of `layers`, one right after the other;
- at t = 30 s the instructor starts a regrade of last week's problem, `activations`, whose 520
  graded submissions (of the same class) were stored before the run: they are inserted as
  graded rows, the regrade then grades each of them for real.

`--scale F` multiplies every count and time by F (the arrival rate stays the same). Every variant
runs in a process of its own, through the service's own paths: `intake.submit` (what the API and
the dashboard call: `create_submission`, then the dispatcher after the commit), `intake.start_regrade`,
the embedded `LocalPool`, or Dramatiq on Redis with `python -m app worker` processes. The order is
the setting `GRADELAB_QUEUE_ORDER` (`fifo`: first come, first served; `fair`); code without that
setting grades first come, first served only, and the table says so.

Waits come from the database rows: a job's wait is `started_at - created_at`. A student's
first-submission wait is from their first submission of the run to the start of the first grading
of any of theirs (a later one may supersede it). A regrade job counts as queued when its regrade
started (its rows keep the original's `created_at`).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench._common import pct, table

ROOT = Path(__file__).resolve().parent.parent
COURSE = "deadline"
LIVE = "layers"  # the problem due at the deadline
OLD = "activations"  # last week's problem, regraded in the middle
ORDERS = ("fifo", "fair")
WARM_USERS = 4  # warm-up submissions of the live problem before the clock starts (reference caches, first imports)
DRAIN_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Scenario:
    students: int = 300
    most: int = 5  # each student submits 1 to `most` times
    window: float = 60.0  # seconds over which the class's submissions arrive
    flood: int = 300  # the flooder's submissions
    flood_at: float = 5.0
    history: int = 520  # graded submissions of the old problem, regraded at `regrade_at`
    regrade_at: float = 30.0
    seed: int = 20

    def scaled(self, factor: float) -> Scenario:
        return replace(
            self,
            students=max(1, round(self.students * factor)),
            window=self.window * factor,
            flood=max(1, round(self.flood * factor)),
            flood_at=self.flood_at * factor,
            history=max(1, round(self.history * factor)),
            regrade_at=self.regrade_at * factor,
        )

    def describe(self) -> str:
        return (
            f"{self.students} students submitting 1-{self.most} times over {self.window:g} s, "
            f"one flooding {self.flood} at t={self.flood_at:g} s, "
            f"a regrade of {self.history} at t={self.regrade_at:g} s"
        )


def has_fair_order() -> bool:
    """Whether this code has the `GRADELAB_QUEUE_ORDER` setting."""
    from app.config import Settings

    return "queue_order" in Settings.model_fields


# ---------------------------------------------------------------------------------------------- files


def _pack_files(slug: str) -> tuple[str, bytes, list[bytes]]:
    """The problem's file name, its solution, and the solution with each known mistake applied."""
    folder = ROOT / "reference" / slug
    (solution_path,) = sorted((folder / "solution").glob("*.py"))
    solution = solution_path.read_bytes()
    # A mistake file replaces a few definitions of the solution: appended, its definitions win.
    wrong = [solution + b"\n\n" + path.read_bytes() for path in sorted((folder / "mistakes").glob("*.py"))]
    return solution_path.name, solution, wrong


def _draw(rng: random.Random, solution: bytes, wrong: list[bytes]) -> bytes:
    return solution if rng.random() < 0.5 else rng.choice(wrong)


# ---------------------------------------------------------------------------------------------- one variant


def _seed(url: str, scenario: Scenario, order: str) -> dict[str, Any]:
    """The course, the pack, the class, the flooder, the instructor and last week's graded submissions.

    The `fifo` baseline is the code before the fair queue: first come, first served, and a newer
    submission does not supersede a waiting one (the problem's `supersede_queued` is turned off)."""
    from app.accounts.service import create_user
    from app.courses.service import create_course, enrol
    from app.db import Database, migrate, utcnow
    from app.db.models import Problem, Role, Submission, SubmissionFile, SubmissionState
    from app.setup import install_pack

    migrate.upgrade(url)
    db = Database(url)
    rng = random.Random(scenario.seed + 1)
    try:
        with db.session() as session:
            course = create_course(session, COURSE, "Deadline")
            install_pack(session, course)
            ids: dict[str, Any] = {"students": [], "warm": []}
            for i in range(scenario.students):
                user = create_user(session, f"student{i:03d}")
                enrol(session, course, user, Role.STUDENT)
                ids["students"].append(user.id)
            for i in range(WARM_USERS):
                user = create_user(session, f"warm{i}")
                enrol(session, course, user, Role.STUDENT)
                ids["warm"].append(user.id)
            flooder = create_user(session, "flooder")
            enrol(session, course, flooder, Role.STUDENT)
            instructor = create_user(session, "instructor")
            enrol(session, course, instructor, Role.INSTRUCTOR)
            ids["flooder"], ids["instructor"] = flooder.id, instructor.id
            if order == "fifo" and hasattr(Problem, "supersede_queued"):
                session.scalars(select_problem(Problem, course.id, LIVE)).one().supersede_queued = False
            old = session.scalars(select_problem(Problem, course.id, OLD)).one()
            name, solution, wrong = _pack_files(OLD)
            earlier = utcnow()
            for i in range(scenario.history):
                files = _draw(rng, solution, wrong)
                row = Submission(
                    problem_id=old.id,
                    version_id=old.current_version_id,
                    user_id=ids["students"][i % scenario.students],
                    created_at=earlier,
                    started_at=earlier,
                    graded_at=earlier,
                    state=SubmissionState.GRADED,
                    score=1.0 if files == solution else 0.5,
                    raw_score=1.0 if files == solution else 0.5,
                    max_score=1.0,
                )
                session.add(row)
                session.flush()
                session.add(SubmissionFile(submission_id=row.id, name=name, content=files))
        return ids
    finally:
        db.dispose()


def select_problem(problem: Any, course_id: int, slug: str) -> Any:
    from sqlalchemy import select

    return select(problem).where(problem.course_id == course_id, problem.slug == slug)


def _service_env(backend: str, order: str, url: str, redis_url: str | None, folder: Path, slots: int) -> dict[str, str]:
    env = {
        **os.environ,
        "GRADELAB_DATABASE_URL": url,
        "GRADELAB_DATA_DIR": str(folder),
        "GRADELAB_QUEUE_ORDER": order,
        "GRADELAB_CHECK_UPLOADS": "false",
        "GRADELAB_SLOTS": str(slots),
    }
    if backend == "distributed":
        assert redis_url is not None
        env.update({"GRADELAB_MODE": "distributed", "GRADELAB_REDIS_URL": redis_url, "GRADELAB_SLOTS": "1"})
    return env


def _variant(spec: dict[str, Any]) -> dict[str, Any]:
    """In a process of its own: seed, start the service's grading, play the scenario, wait for the drain,
    and measure from the database rows."""
    from app.config import Mode, Settings
    from app.db import Database
    from app.runtime import Runtime

    scenario = Scenario(**spec["scenario"])
    backend, slots, folder = spec["backend"], spec["slots"], Path(spec["folder"])
    ids = _seed(spec["url"], scenario, spec["order"])
    settings = Settings()
    runtime = Runtime(settings=settings, db=Database(settings.database_url))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        if settings.mode is Mode.EMBEDDED:
            runtime.start_embedded()
        else:
            runtime.start_distributed_web()
            for i in range(slots):  # as many one-slot worker processes as the embedded mode has slots
                log = (folder / f"worker-{spec['order']}-{i}.log").open("wb")
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "app", "worker", "--slots", "1"],
                        cwd=ROOT,
                        env=os.environ,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        _warm_up(runtime, ids)
        info = _play(runtime, scenario, ids)
        _drain(runtime)
        return _measure(runtime.db, ids, info) | {"backend": backend, "order": spec["order"], "slots": slots}
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        runtime.close()


def _users(runtime: Any, user_ids: Sequence[int]) -> dict[int, Any]:
    from sqlalchemy import select

    from app.db.models import User

    with runtime.db.read() as session:
        return {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(user_ids))))}


def _warm_up(runtime: Any, ids: dict[str, Any]) -> None:
    """Grade a few submissions of the live problem first, so the slots have its reference (the regrade's first
    jobs compute the old problem's, as a real regrade's would)."""
    from app.submissions import intake

    users = _users(runtime, ids["warm"])
    name, solution, _ = _pack_files(LIVE)
    for uid in ids["warm"]:
        intake.submit(runtime, users[uid], COURSE, LIVE, {name: solution})
    _drain(runtime)


def _play(runtime: Any, scenario: Scenario, ids: dict[str, Any]) -> dict[str, Any]:
    """Send the class's submissions, the flood and the regrade at their times; returns when all are sent."""
    from app.db import utcnow
    from app.submissions import intake

    rng = random.Random(scenario.seed)
    name, solution, wrong = _pack_files(LIVE)
    arrivals: list[tuple[float, int, bytes]] = []
    for uid in ids["students"]:
        for _ in range(rng.randint(1, scenario.most)):
            arrivals.append((rng.uniform(0, scenario.window), uid, _draw(rng, solution, wrong)))
    arrivals.sort(key=lambda a: a[0])
    flood = [_draw(rng, solution, wrong) for _ in range(scenario.flood)]
    users = _users(runtime, [*ids["students"], ids["flooder"], ids["instructor"]])
    errors: list[BaseException] = []
    info: dict[str, Any] = {}
    t0 = time.monotonic()

    def at(offset: float) -> None:
        time.sleep(max(0.0, t0 + offset - time.monotonic()))

    def guarded(target: Any) -> Any:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # said by the caller
                errors.append(exc)

        return run

    refused: list[str] = []  # a submission the service failed to take (the student would see an error)

    def submit(uid: int, files: bytes) -> None:
        try:
            intake.submit(runtime, users[uid], COURSE, LIVE, {name: files})
        except Exception as exc:  # counted and shown in the table: the run goes on, as the class would
            refused.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")

    def students() -> None:
        for offset, uid, files in arrivals:
            at(offset)
            submit(uid, files)

    def flooder() -> None:
        at(scenario.flood_at)
        for files in flood:
            submit(ids["flooder"], files)

    def regrade() -> None:
        at(scenario.regrade_at)
        info["regrade_id"] = intake.start_regrade(runtime, users[ids["instructor"]], COURSE, OLD, None)

    info["t0"] = utcnow().isoformat()
    threads = [threading.Thread(target=guarded(f)) for f in (students, flooder, regrade)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"the scenario could not be played: {errors[0]!r}") from errors[0]
    info["live"] = len(arrivals)
    info["refused"] = refused
    return info


def _drain(runtime: Any, timeout: float = DRAIN_TIMEOUT) -> None:
    """Wait until no job is queued or running."""
    deadline = time.monotonic() + timeout
    while True:
        counts = runtime.state_counts()
        if not counts.get("queued") and not counts.get("running"):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the queue did not drain in {timeout:.0f} s: {counts}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class _Job:
    id: int
    user: int
    regrade: bool
    created: float  # seconds from t0; a regrade job: when its regrade started
    started: float | None
    graded: float | None
    state: str


def _jobs(db: Any, ids: dict[str, Any], info: dict[str, Any]) -> list[_Job]:
    import datetime as dt

    from sqlalchemy import select

    from app.db.models import Regrade, Submission

    t0 = dt.datetime.fromisoformat(info["t0"])

    def secs(when: dt.datetime | None) -> float | None:
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return (when - t0).total_seconds()

    with db.read() as session:
        regrade_at = secs(session.scalar(select(Regrade.created_at).where(Regrade.id == info["regrade_id"])))
        rows = session.execute(
            select(
                Submission.id,
                Submission.user_id,
                Submission.regrade_id,
                Submission.created_at,
                Submission.started_at,
                Submission.graded_at,
                Submission.state,
            ).where(
                (Submission.regrade_id == info["regrade_id"])
                | (Submission.regrade_id.is_(None) & Submission.user_id.in_([*ids["students"], ids["flooder"]]))
            )
        ).all()
    jobs = []
    for sid, uid, rid, created, started, graded, state in rows:
        if rid is None and (secs(created) or 0.0) < 0:
            continue  # last week's graded submissions
        jobs.append(
            _Job(
                sid,
                uid,
                rid is not None,
                regrade_at if rid is not None else secs(created),  # type: ignore[arg-type]
                secs(started),
                secs(graded),
                str(getattr(state, "value", state)),
            )
        )
    return sorted(jobs, key=lambda j: j.id)


def _behind_regrade(live: list[_Job], regrade: list[_Job]) -> int:
    """Live jobs that started after a regrade job queued later than them started, at a moment when they could
    have started (no other live job of their author was running then)."""
    running: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for job in live:
        if job.started is not None:
            running[job.user].append((job.started, job.graded if job.graded is not None else float("inf")))
    starts = sorted(j.started for j in regrade if j.started is not None)
    queued_at = min((j.created for j in regrade), default=float("inf"))
    count = 0
    for job in live:
        if job.started is None or job.created >= queued_at:
            continue
        own = [(s, g) for s, g in running[job.user] if s != job.started]
        for start in starts:
            if start >= job.started:
                break
            if start > job.created and not any(s <= start < g for s, g in own):
                count += 1
                break
    return count


def _passed_over(live: list[_Job], regrade: list[_Job]) -> int:
    """Live jobs waiting behind the regrade: a regrade job started while they waited and could have started (no
    other live job of their author running), whenever the regrade was queued."""
    running: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for job in live:
        if job.started is not None:
            running[job.user].append((job.started, job.graded if job.graded is not None else float("inf")))
    starts = sorted(j.started for j in regrade if j.started is not None)
    count = 0
    for job in live:
        if job.started is None:
            continue
        own = [(s, g) for s, g in running[job.user] if s != job.started]
        if any(
            job.created < start < job.started and not any(s <= start < g for s, g in own)
            for start in starts[bisect.bisect_right(starts, job.created) : bisect.bisect_left(starts, job.started)]
        ):
            count += 1
    return count


def _passed_over_rows(result: dict[str, Any]) -> int:
    """`_passed_over` of a saved result's rows."""
    jobs = [_Job(*row) for row in result["jobs"]]
    return _passed_over([j for j in jobs if not j.regrade], [j for j in jobs if j.regrade])


def _overtaken_firsts(live: list[_Job], first: dict[int, _Job]) -> int:
    """Students' first submissions that waited while someone's second-or-later pending submission started."""
    by_user: dict[int, list[_Job]] = defaultdict(list)
    for job in live:
        by_user[job.user].append(job)
    later: list[float] = []  # start times of jobs that had an older pending job of the same author
    for jobs in by_user.values():
        for job in jobs:
            if job.started is None:
                continue
            if any(o.id < job.id and o.started is not None and o.started > job.started for o in jobs):
                later.append(job.started)
    later.sort()
    count = 0
    for job in first.values():
        if job.started is None:
            continue
        if any(job.created < t < job.started for t in later):
            count += 1
    return count


def _stats(values: list[float]) -> dict[str, float | int]:
    return {"n": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95), "max": max(values, default=0.0)}


def _measure(db: Any, ids: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    jobs = _jobs(db, ids, info)
    live = [j for j in jobs if not j.regrade]
    regrade = [j for j in jobs if j.regrade]
    flooder = ids["flooder"]
    # each student's first submission, and the start of the first grading of any of theirs
    first: dict[int, _Job] = {}
    began: dict[int, float] = {}
    for job in live:
        if job.user == flooder:
            continue
        if job.user not in first or job.created < first[job.user].created:
            first[job.user] = job
        if job.started is not None:
            began[job.user] = min(began.get(job.user, job.started), job.started)
    first_waits = [began[u] - first[u].created for u in first if u in began]
    flood_waits = [j.started - j.created for j in live if j.user == flooder and j.started is not None]
    regrade_start = min((j.created for j in regrade), default=float("inf"))
    regrade_end = max((j.graded for j in regrade if j.graded is not None), default=regrade_start)
    during = [
        j.started - j.created
        for j in live
        if j.user != flooder and j.started is not None and regrade_start <= j.created <= regrade_end
    ]
    ends = [j.graded for j in jobs if j.graded is not None]
    return {
        "first": _stats(first_waits),
        "flooder": _stats(flood_waits),
        "flooder_not_graded": sum(1 for j in live if j.user == flooder and j.started is None),
        "not_graded": sum(1 for j in live if j.started is None),
        "states": dict(sorted({s: sum(1 for j in jobs if j.state == s) for s in {j.state for j in jobs}}.items())),
        "during_regrade": _stats(during),
        "regrade_window": [regrade_start, regrade_end],
        "behind_regrade": _behind_regrade(live, regrade),
        "passed_over": _passed_over(live, regrade),
        "overtaken_firsts": _overtaken_firsts(live, first),
        "drain": max(ends, default=0.0),
        "refused": info["refused"],
        "live_jobs": len(live),
        "regrade_jobs": len(regrade),
        "flooder_id": flooder,
        # every job: id, author, a regrade's?, queued, started, graded (seconds from t0; None: never), state
        "jobs": [[j.id, j.user, j.regrade, j.created, j.started, j.graded, j.state] for j in jobs],
    }


# ---------------------------------------------------------------------------------------------- the run


def run_variant(
    backend: str,
    order: str,
    url: str,
    scenario: Scenario,
    slots: int,
    folder: Path,
    redis_url: str | None = None,
) -> dict[str, Any]:
    """One backend and order, in a fresh process (the service's own); its measurements."""
    spec = {
        "backend": backend,
        "order": order,
        "url": url,
        "slots": slots,
        "folder": str(folder),
        "scenario": asdict(scenario),
    }
    out = folder / f"result-{backend}-{order}-{uuid.uuid4().hex[:6]}.json"
    log = folder / f"variant-{backend}-{order}.log"
    env = _service_env(backend, order, url, redis_url, folder, slots)
    with log.open("wb") as sink:
        done = subprocess.run(
            [sys.executable, "-m", "bench.deadline", "--variant", json.dumps(spec), "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"the {backend} {order} run failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@contextmanager
def _databases(backend: str, folder: Path) -> Iterator[tuple[Any, str | None]]:
    """A maker of empty database URLs for the backend, and the Redis URL (distributed only)."""
    if backend == "embedded":
        yield (lambda name: f"sqlite:///{folder / name}.db"), None
        return
    from bench._servers import running_postgres, running_redis

    with running_postgres() as pg, running_redis() as redis:
        yield pg.new_database, redis.url


def measure(
    scenario: Scenario,
    slots: int,
    backends: Sequence[str] = ("embedded", "distributed"),
    raw: str | None = None,
) -> list[dict[str, Any]]:
    """Every variant, each in a process of its own; `raw`: a JSON file rewritten after each variant."""
    orders = ORDERS if has_fair_order() else ("fifo",)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gradelab-deadline-") as tmp:
        for backend in backends:
            with ExitStack() as stack:
                new_db, redis_url = stack.enter_context(_databases(backend, Path(tmp)))
                for order in orders:
                    url = new_db(f"deadline_{order}_{uuid.uuid4().hex[:6]}")
                    if redis_url is not None:
                        _flush_redis(redis_url)
                    result = run_variant(backend, order, url, scenario, slots, Path(tmp), redis_url)
                    results.append(result | {"scenario": asdict(scenario), "load": os.getloadavg()[0]})
                    if raw:
                        Path(raw).write_text(json.dumps(results))
    return results


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def _s(value: float) -> str:
    return "-" if value != value else f"{value:.1f} s"  # NaN: nothing measured


def _ratio(fair: float, fifo: float) -> str:
    return f"{fair / fifo:.2f}" if fifo and fifo == fifo and fair == fair else "-"


_ROWS: list[tuple[str, Any, Any, bool]] = [  # label, the figure, how it is printed, whether fair / fifo is shown
    ("students' first submission: wait p50", lambda r: r["first"]["p50"], _s, True),
    ("students' first submission: wait p95", lambda r: r["first"]["p95"], _s, True),
    ("students' first submission: wait max", lambda r: r["first"]["max"], _s, True),
    ("the flooder's waits: p50", lambda r: r["flooder"]["p50"], _s, True),
    ("the flooder's waits: max", lambda r: r["flooder"]["max"], _s, True),
    ("the flooder's submissions never graded (superseded)", lambda r: r["flooder_not_graded"], str, False),
    ("live jobs sent during the regrade: wait p50", lambda r: r["during_regrade"]["p50"], _s, True),
    ("live jobs sent during the regrade: wait p95", lambda r: r["during_regrade"]["p95"], _s, True),
    ("live jobs sent during the regrade: wait max", lambda r: r["during_regrade"]["max"], _s, True),
    ("live jobs started after a later-queued regrade job", lambda r: r["behind_regrade"], str, False),
    (
        "live jobs waiting while a regrade job started (they could have)",
        lambda r: r["passed_over"] if "passed_over" in r else _passed_over_rows(r),
        str,
        False,
    ),
    ("first submissions overtaken by someone's 2nd+ pending one", lambda r: r["overtaken_firsts"], str, False),
    ("total drain (t=0 to the last job graded)", lambda r: r["drain"], _s, True),
    ("submissions the service failed to take (an error)", lambda r: len(r.get("refused", [])), str, False),
    ("jobs: live / regrade", lambda r: f"{r['live_jobs']} / {r['regrade_jobs']}", str, False),
    ("live jobs superseded, never graded (the flooder's included)", lambda r: r["not_graded"], str, False),
]


def _backend_table(backend: str, by_order: dict[str, dict[str, Any]], load: str | None) -> str:
    orders = [o for o in ORDERS if o in by_order]
    if load is None:  # from saved measurements: the load average after each of this backend's runs
        load = " (load average after each run: " + ", ".join(f"{by_order[o]['load']:.1f}" for o in orders) + ")"
    rows: list[list[object]] = []
    for label, get, fmt, ratio in _ROWS:
        values = [get(by_order[o]) for o in orders]
        cells = [fmt(v) for v in values]
        if len(orders) == 2:
            cells.append(_ratio(values[1], values[0]) if ratio else "")
        rows.append([label, *cells])
    slots = next(iter(by_order.values()))["slots"]
    where = (
        f"embedded, {slots} slots, SQLite"
        if backend == "embedded"
        else f"distributed, PostgreSQL + Redis, {slots} workers x 1 slot"
    )
    header = ["", *(o + (" (first come, first served)" if o == "fifo" else "") for o in orders)]
    if len(orders) == 2:
        header.append("fair / fifo")
    return table(f"9. Deadline, {where}, {os.cpu_count()} cores{load}", header, rows)


def report(results: Sequence[dict[str, Any]], scenario: Scenario, load: str | None = "") -> str:
    """A table per backend, the orders side by side."""
    out = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        out.append(_backend_table(backend, {r["order"]: r for r in results if r["backend"] == backend}, load))
    note = f"Scenario: {scenario.describe()}."
    if not has_fair_order():
        note += " This code has no GRADELAB_QUEUE_ORDER setting: first come, first served only."
    return "\n".join(out) + "\n" + note + "\n"


def run(scale: float, slots: int, backends: Sequence[str] = ("embedded", "distributed"), raw: str | None = None) -> str:
    """The tables of the scenario at `scale`; `raw`: a file to write the measurements to, as JSON."""
    scenario = Scenario().scaled(scale)
    load = os.getloadavg()[0]  # the machine is shared: the load is printed with the figures
    results = measure(scenario, slots, backends, raw)
    return report(results, scenario, f" (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deadline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="every count and time of the scenario times this")
    parser.add_argument("--slots", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="sandbox slots")
    parser.add_argument("--backends", default="embedded,distributed", help="embedded, distributed or both")
    parser.add_argument("--json", help="also write the raw measurements to this file (after each variant)")
    parser.add_argument("--tables", metavar="JSON", help="only print the tables of measurements saved with --json")
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: one variant, in its own process
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        Path(args.out).write_text(json.dumps(_variant(json.loads(args.variant))))
        return
    if args.tables:
        saved = json.loads(Path(args.tables).read_text())
        print(report(saved, Scenario(**saved[0]["scenario"]), None))
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"embedded", "distributed"}
    if unknown or not backends:
        parser.error(f"--backends takes embedded, distributed or both, not {args.backends!r}")
    if not args.scale > 0:
        parser.error("--scale must be above 0")
    if "distributed" in backends:
        from bench import distributed

        lacking = distributed.missing()
        if lacking is not None:
            parser.error(f"{lacking}; or run --backends embedded")
    print(run(args.scale, args.slots, backends, args.json))


if __name__ == "__main__":
    main()
