"""Per submission: a fresh-interpreter `unittest` harness (what a container-per-job grader runs inside its
container) vs our path (grade_files through the pre-forked sandbox), on the `layers` problem.

The baseline is given every advantage: no sandbox at all, expected outputs precomputed once, only
`allclose` checks (no diagnosis), and the same cases and drivers. It is measured twice: without any
numeric gradient (the fastest such harness can be) and with the numeric gradient checks the drivers
offer (what a gradient-checking harness computes on every run; ours computes them only to diagnose a
failing test).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import median, ms, pct, table
from bench.sandbox import free_slot
from grader.bundle import Bundle, load_bundle
from grader.grading import ReferenceCache, grade_files
from grader.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
TEST_MODULE = """
import sys, unittest
import numpy as np
sys.path.insert(0, ".")
import cases, driver
EXPECTED = np.load("expected.npz")
TESTS = {tests!r}
NUMGRAD = {numgrad!r}

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
        if isinstance(inputs, dict) and "numgrad" in inputs:
            inputs["numgrad"] = inputs["numgrad"] and NUMGRAD
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
        source = TEST_MODULE.format(tests=[], numgrad=False).split("class Layers")[0]
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
    (folder / "test_layers.py").write_text(TEST_MODULE.format(tests=_tests(bundle), numgrad=False))
    (folder / "test_layers_numgrad.py").write_text(TEST_MODULE.format(tests=_tests(bundle), numgrad=True))


def _unittest(folder: Path, module: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "unittest", "-q", module],
            cwd=folder,
            capture_output=True,
            env={"OPENBLAS_NUM_THREADS": "1"},
        )
        times.append(time.perf_counter() - t0)
        assert done.returncode == 0, done.stderr[-2000:]
    return times


def _parallel(bundle: Bundle, runs: int) -> list[list[str]]:
    """Submissions per second with every core busy: the baseline's processes vs our slots, as many of each."""
    width = os.cpu_count() or 2
    per = max(1, runs // width) * 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _prepare(bundle, folder)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(width) as pool:
            list(pool.map(lambda _: _unittest(folder, "test_layers", per), range(width)))
        base = width * per / (time.perf_counter() - t0)
    sandboxes = [free_slot("prefork", 100 + 10 * i) for i in range(width)]
    try:
        files = {"layers.py": bundle.files["solution/layers.py"]}
        cache = ReferenceCache()
        for sandbox in sandboxes:
            grade_files(bundle, files, sandbox, cache)

        def grade_many(sandbox: Sandbox) -> None:
            for _ in range(per):
                assert grade_files(bundle, files, sandbox, cache).score > 0

        t0 = time.perf_counter()
        with ThreadPoolExecutor(width) as pool:
            list(pool.map(grade_many, sandboxes))
        ours = width * per / (time.perf_counter() - t0)
    finally:
        for sandbox in sandboxes:
            sandbox.close()  # type: ignore[attr-defined]
    return [
        [f"baseline (no numeric gradients), {width} at a time: throughput", f"{base:.1f} submissions/s", "", "1.00"],
        [f"gradelab, {width} slots at a time: throughput", f"{ours:.1f} submissions/s", "", f"{ours / base:.2f}"],
    ]


def run(runs: int) -> str:
    bundle = load_bundle(ROOT / "reference" / "layers")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _prepare(bundle, folder)
        base = _unittest(folder, "test_layers", runs)
        with_numgrad = _unittest(folder, "test_layers_numgrad", runs)
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
        [
            "fresh interpreter + unittest, no numeric gradients (baseline, no sandbox)",
            ms(median(base)),
            ms(pct(base, 0.95)),
            "1.00",
        ],
        [
            "fresh interpreter + unittest with the drivers' numeric gradient checks",
            ms(median(with_numgrad)),
            ms(pct(with_numgrad, 0.95)),
            f"{median(base) / median(with_numgrad):.2f}",
        ],
        [
            "gradelab: prefork sandbox, judge and diagnosis",
            ms(median(ours)),
            ms(pct(ours, 0.95)),
            f"{median(base) / median(ours):.2f}",
        ],
    ]
    rows += _parallel(bundle, runs)
    note = (
        f"\nOf our time per submission, {ms(calls)} is the {len(units)} driver calls as the harness times them "
        "(the student's code, with its inputs read and its results encoded; numeric gradients are computed "
        "only for a failing gradient test).\n"
    )
    return (
        table(
            f"2. Per submission of `layers` ({len(units)} tests, {runs} submissions each)",
            ["", "wall p50 (or rate)", "wall p95", "speed-up vs baseline"],
            rows,
        )
        + note
    )
