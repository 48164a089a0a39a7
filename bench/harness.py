"""Per submission: a fresh-interpreter `unittest` harness (what a container-per-job grader runs inside its
container) vs our path (grade_files through the pre-forked sandbox), on the `layers` problem.

The baseline is given every advantage: no sandbox at all, expected outputs precomputed once, only
`allclose` checks (no diagnosis, no numeric gradients of its own), and the same cases and drivers.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import median, ms, pct, table
from bench.sandbox import free_slot
from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, grade_files

ROOT = Path(__file__).resolve().parent.parent
TEST_MODULE = """
import sys, unittest
import numpy as np
sys.path.insert(0, ".")
import cases, driver
EXPECTED = np.load("expected.npz")
TESTS = {tests!r}

def flat(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            if not str(k).startswith("@"):
                yield from flat(v, f"{{prefix}}{{k}}.")
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from flat(v, f"{{prefix}}{{i}}.")
    else:
        yield prefix.rstrip("."), np.asarray(value, dtype=float)

class Layers(unittest.TestCase):
    pass

def make(name, fn, case, seed, params):
    def test(self):
        rng = np.random.default_rng(seed)
        inputs = getattr(cases, case)(rng, **params)
        got = dict(flat(getattr(driver, fn)(inputs)))
        for key, value in got.items():
            np.testing.assert_allclose(value, EXPECTED[name + "/" + key], rtol=1e-5, atol=1e-8)
    return test

for name, fn, case, seed, params in TESTS:
    setattr(Layers, "test_" + name, make(name, fn, case, seed, params))
"""


def _tests(bundle: Bundle) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    return [
        (t.name, t.driver_name, t.case or "", bundle.seed_for(t), dict(t.params))
        for t in bundle.spec.tests
        if t.kind == "unit"
    ]


def _prepare(bundle: Bundle, folder: Path) -> None:
    for name in ("cases.py", "driver.py"):
        (folder / name).write_bytes(bundle.files[name])
    (folder / "gradelib.py").write_bytes((ROOT / "grader" / "_harness" / "gradelib.py").read_bytes())
    (folder / "layers.py").write_bytes(bundle.files["solution/layers.py"])
    sys.path.insert(0, str(folder))
    try:
        for mod in ("cases", "driver", "gradelib", "layers"):
            sys.modules.pop(mod, None)
        cases, driver = importlib.import_module("cases"), importlib.import_module("driver")
        exec_ns: dict[str, Any] = {}
        source = TEST_MODULE.format(tests=[]).split("class Layers")[0]
        exec(source.replace('EXPECTED = np.load("expected.npz")', ""), exec_ns)
        expected = {}
        for name, fn, case, seed, params in _tests(bundle):
            inputs = getattr(cases, case)(np.random.default_rng(seed), **params)
            for key, value in exec_ns["flat"](getattr(driver, fn)(inputs)):
                expected[f"{name}/{key}"] = value
    finally:
        sys.path.remove(str(folder))
        for mod in ("cases", "driver", "gradelib", "layers"):
            sys.modules.pop(mod, None)
    np.savez(folder / "expected.npz", **expected)
    (folder / "test_layers.py").write_text(TEST_MODULE.format(tests=_tests(bundle)))


def run(runs: int) -> str:
    bundle = load_bundle(ROOT / "reference" / "layers")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _prepare(bundle, folder)
        base = []
        for _ in range(runs):
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "unittest", "-q", "test_layers"],
                cwd=folder,
                capture_output=True,
                env={"OPENBLAS_NUM_THREADS": "1"},
            )
            base.append(time.perf_counter() - t0)
            assert done.returncode == 0, done.stderr[-2000:]
    sandbox = free_slot("prefork")
    try:
        files = {"layers.py": bundle.files["solution/layers.py"]}
        cache = ReferenceCache()
        grade_files(bundle, files, sandbox, cache)
        ours = []
        for _ in range(runs):
            t0 = time.perf_counter()
            report = grade_files(bundle, files, sandbox, cache)
            ours.append(time.perf_counter() - t0)
            assert report.score == report.max_score
        units = report.tests
        calls = sum(t.seconds for t in units)
    finally:
        sandbox.close()  # type: ignore[attr-defined]
    rows = [
        ["fresh interpreter + unittest (baseline, no sandbox)", ms(median(base)), ms(pct(base, 0.95)), "1.00"],
        [
            "gradelab: prefork sandbox, judge and diagnosis",
            ms(median(ours)),
            ms(pct(ours, 0.95)),
            f"{median(base) / median(ours):.2f}",
        ],
    ]
    note = (
        f"\nOf our time per submission, {ms(calls)} is the {len(units)} driver calls themselves "
        "(the student's code, and the numeric gradient of its forward pass computed for the diagnosis).\n"
    )
    return (
        table(
            f"2. Per submission of `layers` ({len(units)} tests, {runs} submissions each)",
            ["", "wall p50", "wall p95", "baseline / this"],
            rows,
        )
        + note
    )
