"""Sandbox overhead per job: bare `python -c "import numpy"` vs the cold bubblewrap sandbox.

Run: .venv/bin/python bench/sandbox_overhead.py [--runs N]
Prints median and p95 of wall and CPU seconds per job, with ratios to the bare baseline
measured in the same run. The sandbox's CPU is the whole job tree's (the slot's cpuacct
cgroup when root; otherwise wait4 of bwrap, which covers the tree it reaped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from grader.sandbox import BwrapSandbox, CollectingMonitor, Job, Limits, ensure_sandbox

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


def cold(runs: int) -> Samples:
    sandbox = ensure_sandbox()
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
    baseline = bare(runs)
    rows = {"bare python -c 'import numpy'": baseline, "cold bwrap sandbox (import numpy)": cold(runs)}
    sandbox = ensure_sandbox()
    base_wall, base_cpu = statistics.median(baseline[0]), statistics.median(baseline[1])
    print(f"sandbox overhead per job, {runs} runs each, {os.cpu_count()} cores")
    if isinstance(sandbox, BwrapSandbox):
        print(sandbox.describe())
    print(f"{'':36} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>9} {'cpu p95':>9} {'wall x':>7} {'cpu x':>6}")
    for name, (walls, cpus) in rows.items():
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"{name:36} {wall * 1e3:7.1f}ms {p95(walls) * 1e3:7.1f}ms {cpu * 1e3:7.1f}ms {p95(cpus) * 1e3:7.1f}ms "
            f"{wall / base_wall:7.2f} {cpu / base_cpu:6.2f}"
        )


if __name__ == "__main__":
    main()
