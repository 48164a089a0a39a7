"""Peak RSS of the grading process: a correct submission vs hostile ones, on the `layers` problem.

Each row grades in a process of its own (so one row's peak cannot hide another's): the process loads the
problem, computes the reference and grades the correct solution once (the warm state every worker is in),
then grades the row's submission. The table gives the process's peak RSS after the warm-up and at the
end, so the growth is what grading that one submission cost the service.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench._common import table

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ["affine_forward", "dropout_forward", "batchnorm_forward", "conv_forward", "max_pool_forward"]


def _override(body: str) -> str:
    """Every forward function of FUNCTIONS replaced by `body`, which returns its `(out, cache)`."""
    return "".join(f"\ndef {fn}(*args):\n{body}" for fn in FUNCTIONS)


# name -> what is appended to the correct solution
HOSTILE = {
    "correct": "",
    "128 MB float64 result per call": "import numpy as np\n" + _override("    return np.ones(2**24), None\n"),
    "128 MB bool result per call (8x as float64)": "import numpy as np\n"
    + _override("    return np.ones(2**27, dtype=bool), None\n"),
    "list of 2M floats per call": _override("    return [0.5] * 2_000_000, None\n"),
    "100 KB of stdout per call": "import sys\n"
    + _override("    sys.stdout.write('x' * 100_000)\n    return None, None\n"),
}


def _grade_one(name: str) -> dict[str, float]:
    """Runs in the row's own process: warm up on the correct solution, then grade the row's submission."""
    from bench.sandbox import free_slot
    from grader.bundle import load_bundle
    from grader.grading import ReferenceCache, grade_files

    bundle = load_bundle(ROOT / "reference" / "layers")
    solution = bundle.files["solution/layers.py"].decode()
    sandbox = free_slot("prefork")
    cache = ReferenceCache()
    grade_files(bundle, {"layers.py": solution.encode()}, sandbox, cache)
    warm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = grade_files(bundle, {"layers.py": (solution + HOSTILE[name]).encode()}, sandbox, cache)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored = len(report.stdout.encode()) + len(report.stderr.encode())
    return {"warm": warm / 1024, "peak": peak / 1024, "seconds": seconds, "score": report.score, "output": stored}


def run() -> str:
    """The table: one row per submission, each graded in a fresh process after the same warm-up."""
    rows = []
    for name in HOSTILE:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.hostile", name], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if proc.returncode != 0:
            rows.append([name, "failed", "", "", "", proc.stderr.strip().splitlines()[-1][:80]])
            continue
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(
            [
                name,
                f"{got['warm']:.0f} MB",
                f"{got['peak']:.0f} MB",
                f"+{got['peak'] - got['warm']:.0f} MB",
                f"{got['seconds']:.1f} s",
                f"{got['score']:g}; {got['output'] / 1024:.0f} KB output stored",
            ]
        )
    header = ["submission (layers)", "RSS after warm-up", "peak RSS", "growth", "grading", "score; output"]
    return table("8. Peak RSS of the grading process: a correct submission vs hostile ones", header, rows)


if __name__ == "__main__":
    print(json.dumps(_grade_one(sys.argv[1])))
