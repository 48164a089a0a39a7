"""Sandbox overhead per job: bare `python -c "import numpy"` vs the cold sandbox vs the pre-forked one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench._common import median, ms, pct, table
from grader.grading import sandbox_preload
from grader.sandbox import CollectingMonitor, Job, Limits, Sandbox, open_slot

PROBE = b"import numpy, os\nos.write(3, b'ok')\n"
Samples = tuple[list[float], list[float]]


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def bare(runs: int) -> Samples:
    walls, cpus = [], []
    env = {"OPENBLAS_NUM_THREADS": "1"}
    for _ in range(runs):
        cpu0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True, env=env)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - cpu0)
    return walls, cpus


def sandboxed(sandbox: Sandbox, runs: int, *, init: bool = False) -> Samples:
    walls, cpus = [], []
    job = Job(files={"probe.py": PROBE}, entry="probe.py", init=init)
    sandbox.run(job, Limits(), CollectingMonitor())  # warm up
    for _ in range(runs):
        monitor = CollectingMonitor()
        t0 = time.perf_counter()
        outcome = sandbox.run(job, Limits(), monitor)
        walls.append(time.perf_counter() - t0)
        cpus.append(outcome.cpu_seconds)
        assert monitor.data == b"ok", outcome.stderr
    return walls, cpus


def free_slot(backend: str, start: int = 100) -> Sandbox:
    from grader.sandbox import SlotBusy

    for slot in range(start, 256):
        try:
            return open_slot(slot, backend, preload=sandbox_preload())
        except SlotBusy:
            continue
    raise RuntimeError("no free sandbox slot")


def run(runs: int) -> str:
    cold, prefork = free_slot("cold"), free_slot("prefork")
    try:
        rows = {
            "bare `python -c 'import numpy'` (baseline)": bare(runs),
            "cold bwrap sandbox": sandboxed(cold, runs),
            "prefork sandbox": sandboxed(prefork, runs),
            "prefork sandbox, the job as its namespace's init (how grading runs)": sandboxed(prefork, runs, init=True),
        }
    finally:
        cold.close()  # type: ignore[attr-defined]
        prefork.close()  # type: ignore[attr-defined]
    base = median(rows["bare `python -c 'import numpy'` (baseline)"][0])
    cold_wall = median(rows["cold bwrap sandbox"][0])
    out = []
    for name, (walls, cpus) in rows.items():
        wall = median(walls)
        out.append(
            [
                name,
                ms(wall),
                ms(pct(walls, 0.95)),
                ms(median(cpus)),
                ms(pct(cpus, 0.95)),
                f"{wall / base:.2f}",
                f"{cold_wall / wall:.1f}",
            ]
        )
    return table(
        f"1. Sandbox overhead per job ({runs} jobs each, a job imports NumPy and writes 2 bytes)",
        ["", "wall p50", "wall p95", "CPU p50", "CPU p95", "wall / baseline", "cold / this"],
        out,
    )
