"""End to end through HTTP in the embedded mode: a burst of `layers` submissions, a regrade of all of them,
the dashboard's busiest reads under that load, and the memory each sandbox slot holds."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench._common import median, ms, pct, table

ROOT = Path(__file__).resolve().parent.parent
LOAD_FOR_READS = 200  # submissions queued behind the reads of table 4 (more than 5 s of grading)
SOLUTION = (ROOT / "reference" / "layers" / "solution" / "layers.py").read_bytes()


class Service:
    def __init__(self, folder: Path, slots: int) -> None:
        self.folder = folder
        self.db = folder / "bench.db"
        self.env = {
            **os.environ,
            "GRADELAB_DATABASE_URL": f"sqlite:///{self.db}",
            "GRADELAB_DATA_DIR": str(folder),
            "GRADELAB_SLOTS": str(slots),
            "GRADELAB_RUNNING_PER_STUDENT": "0",  # the load comes from one account: measure the slots, not the limit
            "GRADELAB_CHECK_UPLOADS": "false",
        }
        for step in (["migrate"], ["demo"]):
            subprocess.run(
                [sys.executable, "-m", "app", *step], env=self.env, cwd=ROOT, check=True, capture_output=True
            )
        logins = json.loads((folder / "demo-logins.json").read_text())
        self.student, self.instructor = logins["student"]["token"], logins["instructor"]["token"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = (folder / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.1)
        # one account sends the whole burst: every submission is graded, none supersedes another
        keep = json.dumps({"supersede_queued": False}).encode()
        path = "/api/v1/courses/demo/problems/layers"
        assert self.call("PATCH", path, self.instructor, keep, "application/json")[0] == 200

    def call(
        self, method: str, path: str, token: str | None = None, body: bytes | None = None, ctype: str | None = None
    ) -> tuple[int, Any]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if ctype:
            req.add_header("Content-Type", ctype)
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")

    def submit(self) -> int:
        boundary = "bench"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="layers.py"\r\n'
                "Content-Type: text/x-python\r\n\r\n"
            ).encode()
            + SOLUTION
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, created = self.call(
            "POST",
            "/api/v1/courses/demo/problems/layers/submissions",
            self.student,
            body,
            f"multipart/form-data; boundary={boundary}",
        )
        assert status == 202
        return int(created["id"])

    def status(self, sid: int) -> str:
        return str(self.call("GET", f"/api/v1/submissions/{sid}", self.student)[1]["status"])

    def counts(self, where: str = "regrade_id IS NULL") -> dict[str, int]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return dict(conn.execute(f"SELECT state, count(*) FROM submissions WHERE {where} GROUP BY state"))

    def latencies(self, where: str, start: str = "created_at") -> list[float]:
        """Seconds from `start` (a column of the submission, or "regrade": its regrade's start) to graded."""
        from datetime import datetime

        column = "r.created_at" if start == "regrade" else f"s.{start}"
        with sqlite3.connect(self.db, timeout=30) as conn:
            rows = conn.execute(
                f"SELECT {column}, s.graded_at FROM submissions s LEFT JOIN regrades r ON r.id = s.regrade_id "
                f"WHERE {where} AND s.graded_at IS NOT NULL"
            )
            return [(datetime.fromisoformat(g) - datetime.fromisoformat(c)).total_seconds() for c, g in rows]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def _reads(service: Service, seconds: float, sid: int) -> float:
    """Requests per second of the two busiest dashboard reads (a submission, the course's list)."""
    done, stop = [0], time.monotonic() + seconds

    def reader() -> None:
        while time.monotonic() < stop:
            service.call("GET", f"/api/v1/submissions/{sid}", service.student)
            service.call("GET", "/api/v1/courses/demo/submissions?limit=50", service.instructor)
            done[0] += 2

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds


def _slot_memory() -> list[int]:
    """Resident memory of each sandbox slot's long-lived processes (uids 61000-61255), in bytes."""
    per_uid: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            lines = Path(f"/proc/{entry}/status").read_text().splitlines()
            fields = dict(line.split(":", 1) for line in lines if ":" in line)
        except OSError:
            continue
        uid = int(fields.get("Uid", "0").split()[0])
        if 61000 <= uid < 61256 and "VmRSS" in fields:
            per_uid[uid] = per_uid.get(uid, 0) + int(fields["VmRSS"].split()[0]) * 1024
    return sorted(per_uid.values())


def _burst(service: Service, n: int, workers: int = 8) -> tuple[float, list[int]]:
    ids: list[int] = []
    lock = threading.Lock()
    todo = iter(range(n))

    def post() -> None:
        for _ in todo:
            sid = service.submit()
            with lock:
                ids.append(sid)

    t0 = time.monotonic()
    threads = [threading.Thread(target=post) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return t0, ids


def _wait(service: Service, total: int, where: str, timeout: float = 3600) -> float:
    deadline = time.monotonic() + timeout
    while True:
        counts = service.counts(where)
        if counts.get("graded", 0) + counts.get("failed", 0) >= total:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"not done: {counts}")
        time.sleep(0.05)


def run(burst: int, slots: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(Path(tmp), slots)
        try:
            return _measure(service, burst, slots)
        finally:
            service.stop()


def _measure(service: Service, burst: int, slots: int) -> str:
    idle = []
    for _ in range(20):
        t0 = time.monotonic()
        sid = service.submit()
        while service.status(sid) not in ("graded", "failed"):
            time.sleep(0.005)
        idle.append(time.monotonic() - t0)
    reads_idle = _reads(service, 5.0, sid)
    memory = _slot_memory()
    with sqlite3.connect(service.db) as conn:
        before = conn.execute("SELECT max(id) FROM submissions").fetchone()[0]
    t0, _ = _burst(service, burst)
    t_end = _wait(service, burst + 20, "regrade_id IS NULL")
    lat = service.latencies(f"s.regrade_id IS NULL AND s.id > {before}")
    status, _ = service.call(
        "POST", "/api/v1/courses/demo/problems/layers/regrades", service.instructor, b"{}", "application/json"
    )
    assert status == 202
    r0 = time.monotonic()
    total = burst + 20  # every official submission: the idle ones and the burst
    r_end = _wait(service, total, "regrade_id IS NOT NULL")
    rlat = service.latencies("s.regrade_id IS NOT NULL", start="regrade")
    # Reads under load, in a load of their own: readers as fast as they can go take CPU from grading, so
    # the burst and the regrade above are measured without them.
    _, more = _burst(service, LOAD_FOR_READS)
    reads_busy = _reads(service, 5.0, more[0])
    _wait(service, total + LOAD_FOR_READS, "regrade_id IS NULL")
    rows = [
        [
            "idle: one submission, POST to graded (20 in a row)",
            f"{median(idle) * 1e3:.0f} ms",
            f"{pct(idle, 0.95) * 1e3:.0f} ms",
            "",
            "",
        ],
        [f"burst of {burst}: throughput", f"{burst / (t_end - t0):.2f} submissions/s", "", "", ""],
        [f"burst of {burst}: latency, created to graded", ms(median(lat)), ms(pct(lat, 0.95)), ms(pct(lat, 0.99)), ""],
        [f"regrade of {total}: throughput", f"{total / (r_end - r0):.2f} submissions/s", "", "", ""],
        [
            f"regrade of {total}: latency, regrade started to graded",
            ms(median(rlat)),
            ms(pct(rlat, 0.95)),
            ms(pct(rlat, 0.99)),
            "",
        ],
    ]
    read_rows = [
        ["idle (baseline)", f"{reads_idle:.0f} requests/s", "1.00"],
        [
            f"during a burst of {LOAD_FOR_READS} more ({slots} slots busy)",
            f"{reads_busy:.0f} requests/s",
            f"{reads_busy / reads_idle:.2f}",
        ],
    ]
    mem_rows = [[f"slot {i}", f"{m / 2**20:.0f} MiB"] for i, m in enumerate(memory)]
    return (
        table(
            f"3. End to end through HTTP, embedded mode, {slots} slots, SQLite, {os.cpu_count()} cores",
            ["", "p50 / value", "p95", "p99", ""],
            rows,
        )
        + "\n"
        + table(
            "4. Dashboard reads (a submission + the course's submission list), 4 clients",
            ["", "throughput", "vs idle"],
            read_rows,
        )
        + "\n"
        + table("5. Resident memory of each idle prefork slot (bwrap, its init and the zygote)", ["", "RSS"], mem_rows)
    )
