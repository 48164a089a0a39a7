"""What a slot's cgroup really does to a job: run inside a cgroup v2 host (see bench/cgroup2_vm.sh).

    python -m bench.cgroup2_check [FIRST_SLOT]     (slots FIRST_SLOT and the next; default 0)

Opens slot 0 the way the service does (self-test included), then through it runs: a job with
a 1 GiB memory limit whose five processes each allocate and touch 700 MiB (3.4 GiB together); a
fork bomb; two slots spinning at once, one with 20 processes and one with 2; and the grading of
an `activations` submission whose relu_forward forks four such allocators. Prints what the
cgroup files say and what came back. It only reports; it asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from grader.sandbox import CollectingMonitor, Job, Limits, ensure_sandbox

MiB = 1024 * 1024
GiB = 1024 * MiB

MEMORY_BOMB = """
import os, sys, time
CHUNK = 700 * 1024 * 1024
kids = []
for i in range(5):
    pid = os.fork()
    if pid == 0:
        block = bytearray(CHUNK)
        block[::4096] = b"x" * len(block[::4096])  # touch every page: resident, not only reserved
        os.write(1, f"child {i} holds 700 MiB\\n".encode())
        time.sleep(6)
        os._exit(0)
    kids.append(pid)
ends = {}
for pid in kids:
    _, status = os.waitpid(pid, 0)
    ends[pid] = os.waitstatus_to_exitcode(status)
print("children ended:", sorted(ends.values()), flush=True)
"""

FORK_BOMB = """
import os, time
made = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(8)
            os._exit(0)
        made += 1
except OSError as exc:
    print("fork failed after", made, "children:", exc, flush=True)
"""

SPIN = """
import os, sys, time
start, end = float(sys.argv[1]), float(sys.argv[1]) + 6.0
time.sleep(max(0.0, start - time.time()))
for _ in range(int(sys.argv[2]) - 1):
    if os.fork() == 0:
        os.setsid()
        break
while time.time() < end:
    pass
"""

GREEDY_ACTIVATION = """
import os, time
import numpy as np


def relu_forward(x):
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = np.ones(700 * 1024 * 1024 // 8)  # 700 MiB, every page touched
            time.sleep(3)
            os._exit(int(block[0]) - 1)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0), x
"""


def _files(folder: Path, names: tuple[str, ...]) -> str:
    out = []
    for name in names:
        try:
            value = (folder / name).read_text().strip().replace("\n", ", ")
        except OSError as exc:
            value = f"({exc.strerror})"
        out.append(f"{name}={value}")
    return "; ".join(out)


def _dir(group: object, controller: str) -> Path:
    """The slot's folder for `controller` (one folder on cgroup v2, one per controller on v1)."""
    dirs = getattr(group, "dirs", None)
    return Path(dirs.get(controller, dirs["memory"])) if dirs else Path(group.folder)  # type: ignore[attr-defined]


def _run(sandbox: object, source: str, limits: Limits, args: tuple[str, ...] = ()) -> tuple[object, float]:
    job = Job(files={"job.py": textwrap.dedent(source).encode()}, entry="job.py", args=args)
    started = time.monotonic()
    outcome = sandbox.run(job, limits, CollectingMonitor())  # type: ignore[attr-defined]
    return outcome, time.monotonic() - started


def main() -> None:
    print(f"uid {os.getuid()}, cgroup {Path('/proc/self/cgroup').read_text().strip()}")
    first = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sandbox = ensure_sandbox(first)
    print(f"slot {first}:", sandbox.describe())  # type: ignore[attr-defined]
    group = sandbox._cgroup  # type: ignore[attr-defined]
    folder = _dir(group, "memory")
    print(f"parent {folder.parent}: {_files(folder.parent, ('cgroup.subtree_control', 'cpu.weight'))}")

    limits = Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=1 * GiB, processes=16)
    before = group.oom_kills()
    outcome, took = _run(sandbox, MEMORY_BOMB, limits)
    print("\n== memory: 1 GiB limit, five processes of 700 MiB each (3.4 GiB together)")
    print(f"slot: {_files(folder, ('memory.max', 'memory.swap.max', 'memory.peak'))}")
    print(f"oom kills during the job: {group.oom_kills() - before}; {took:.1f} s")
    print(f"exit {outcome.exit_code} signal {outcome.signal} killed {outcome.killed}")  # type: ignore[attr-defined]
    print("stdout:", outcome.stdout.decode(errors="replace").strip())  # type: ignore[attr-defined]

    outcome, took = _run(sandbox, FORK_BOMB, Limits(wall_seconds=30, cpu_seconds=30, processes=16))
    print("\n== processes: a fork bomb with a 16-process limit")
    print(f"slot: {_files(_dir(group, 'pids'), ('pids.max', 'pids.peak', 'pids.events'))}")
    print(f"exit {outcome.exit_code} signal {outcome.signal} killed {outcome.killed}; {took:.1f} s")  # type: ignore[attr-defined]
    print("stdout:", outcome.stdout.decode(errors="replace").strip())  # type: ignore[attr-defined]

    # The job's RLIMIT_NPROC stops it first; the cgroup's cap is the backstop. Checked on its own: a
    # process with no rlimit joins the slot (as a job's chain does) and forks until the kernel refuses.
    pids = _dir(group, "pids")
    group.prepare(Limits(processes=16))
    bomb = "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(5)\n"
    bomb += "            os._exit(0)\n        n += 1\nexcept OSError as exc:\n    print(n, exc)\n"
    joined = subprocess.run(
        ["/bin/sh", "-c", f'echo $$ > {pids}/cgroup.procs && exec "$0" -c "$1"', sys.executable, bomb],
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"without the rlimit, in the slot's cgroup: forks before the refusal and why: {joined.stdout.strip()}")
    print(f"slot: {_files(pids, ('pids.max', 'pids.peak', 'pids.events'))}")
    time.sleep(6)  # the bomb's children end

    second = ensure_sandbox(first + 1)
    used: dict[str, float] = {}
    start = time.time() + 4.0
    spin_limits = Limits(wall_seconds=60, cpu_seconds=120, processes=24)

    def spin(name: str, box: object, processes: int) -> None:
        _run(box, SPIN, spin_limits, (str(start), str(processes)))
        used[name] = box._cgroup.cpu_seconds()  # type: ignore[attr-defined]

    threads = [
        threading.Thread(target=spin, args=("greedy (20 processes)", sandbox, 20)),
        threading.Thread(target=spin, args=("modest (2 processes)", second, 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\n== CPU: two slots spinning over the same 6 s")
    for box in (sandbox, second):
        cpu = _dir(box._cgroup, "cpu")  # type: ignore[attr-defined]
        print(f"{cpu}: {_files(cpu, ('cpu.weight', 'cpu.shares'))}")
    print("CPU seconds per slot:", {k: round(v, 2) for k, v in used.items()})

    print("\n== grading: activations (60 s a test), relu_forward forks four 700 MiB allocators (memory_mb = 1024)")
    problem = Path(__file__).resolve().parents[1] / "reference" / "activations"
    with tempfile.TemporaryDirectory() as tmp:
        # The same problem with a minute per test instead of 10 s: an emulated guest is 5-20 times slower.
        shutil.copytree(problem, f"{tmp}/activations")
        toml = Path(f"{tmp}/activations/problem.toml")
        toml.write_text(toml.read_text().replace("time_seconds = 10\n", "time_seconds = 60\n", 1))
        source = (problem / "solution" / "activations.py").read_text() + "\n" + GREEDY_ACTIVATION
        (Path(tmp) / "activations.py").write_text(source)  # every other function is the reference's
        command = ["grade", "--problem", f"{tmp}/activations", "--json", f"{tmp}/activations.py"]
        ran = subprocess.run(
            [sys.executable, "-m", "grader", *command],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        report = json.loads(ran.stdout)
    except ValueError:
        print(f"exit {ran.returncode}\n{ran.stdout[-2000:]}\n{ran.stderr[-2000:]}")
        return
    print(f"exit {ran.returncode}; status {report['status']}; score {report['score']} / {report['max_score']}")
    print(f"kills {report['kills']}; sandbox {report['sandbox']}")
    for test in report["tests"]:
        if not test["passed"]:
            print(f"  {test['name']}: stage {test['stage']} - {test['feedback'][:300]}")


if __name__ == "__main__":
    main()
