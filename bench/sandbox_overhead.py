"""Sandbox overhead per job: bare `python -c "import numpy"` vs the cold bubblewrap sandbox.

Run: .venv/bin/python bench/sandbox_overhead.py [--runs N]
Prints median and p95 of wall and CPU seconds per job, with ratios to the bare baseline
measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from grader.sandbox import CollectingMonitor, Job, Limits, default_sandbox

PROBE = b"import numpy, os\nos.write(3, b'ok')\n"


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def bare(runs: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True, env={"OPENBLAS_NUM_THREADS": "1"})
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - cpu0)
    return walls, cpus


def cold(runs: int) -> tuple[list[float], list[float]]:
    sandbox = default_sandbox()
    walls, cpus = [], []
    for _ in range(runs):
        monitor = CollectingMonitor()
        t0 = time.perf_counter()
        outcome = sandbox.run(Job(files={"probe.py": PROBE}, entry="probe.py"), Limits(), monitor)
        walls.append(time.perf_counter() - t0)
        cpus.append(outcome.cpu_seconds)
        assert monitor.data == b"ok", outcome.stderr
    return walls, cpus


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    rows = {"bare python -c 'import numpy'": bare(runs), "cold bwrap sandbox (import numpy)*": cold(runs)}
    base_wall = statistics.median(rows["bare python -c 'import numpy'"][0])
    print(f"sandbox overhead per job, {runs} runs each, {os.cpu_count()} cores")
    print(f"{'backend':38} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>9} {'cpu p95':>9} {'x bare':>7}")
    for name, (walls, cpus) in rows.items():
        med = statistics.median(walls)
        print(
            f"{name:38} {med * 1e3:7.1f}ms {p95(walls) * 1e3:7.1f}ms "
            f"{statistics.median(cpus) * 1e3:7.1f}ms {p95(cpus) * 1e3:7.1f}ms {med / base_wall:7.2f}"
        )
    print("* sandbox CPU is wait4() of the bwrap process: the job's pid-namespace tree is not counted yet")


if __name__ == "__main__":
    main()
