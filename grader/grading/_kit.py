"""The local check kit: what a starter download carries so a student can run the visible tests at home.

Built on the trusted side from a problem prepared for grading (its reference run for the deployment's seed
key): the visible unit tests' inputs, the reference's results on them, what diagnosis needs (the known-mistake
variants' results and failures on those inputs, tolerances, the diagnosis context) as JSON plus one `.npz`
(read with `allow_pickle=False`), the driver and support code the sandbox runs beside a submission anyway,
and the judge, the wire and gradelib verbatim. Never a hidden test's data, the reference's or the variants'
code, the generators or the seed key. Training and hidden tests are listed as run only on the service.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

import numpy as np

from grader._harness import wire
from grader.bundle import TestSpec
from grader.grading._messages import variant_failures
from grader.grading._prepared import PreparedProblem
from grader.values import Value

KIT_FOLDER = "_gradelab_check"
ENTRY = "check.py"
# The project's own files the kit carries, by their package path, and where they go in the kit.
_SHIPPED = {
    "grader/_vocab.py": "grader/_vocab.py",
    "grader/values.py": "grader/values.py",
    "grader/_harness/wire.py": "grader/_harness/wire.py",
    "grader/_harness/gradelib.py": "lib/gradelib.py",
    "grader/_kit/runner.py": "kit_runner.py",
}
_STUBS = {
    "grader/__init__.py": '"""The service\'s judge, as the check kit carries it (see check.py)."""\n',
    "grader/_harness/__init__.py": '"""The wire, as the check kit carries it."""\n',
}


class _Arrays:
    """The kit's arrays, each value stored as the wire's JSON tree and the names of its arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def store(self, value: Value) -> dict[str, Any]:
        blobs: list[np.ndarray] = []
        tree = wire.encode_value(value, blobs)
        names = []
        for blob in blobs:
            name = f"a{len(self.arrays)}"
            self.arrays[name] = blob
            names.append(name)
        return {"tree": tree, "arrays": names}

    def npz(self) -> bytes:
        out = io.BytesIO()
        np.savez_compressed(out, allow_pickle=False, **self.arrays)
        return out.getvalue()


def check_kit(prepared: PreparedProblem) -> dict[str, bytes]:
    """The kit's files by their path in the unzipped starter folder (`check.py` and `_gradelab_check/...`)."""
    bundle, run = prepared.bundle, prepared.run
    arrays = _Arrays()
    tests = [_unit_test(prepared, test, arrays) for test in bundle.spec.tests if _checked(test)]
    spec = {
        "format": 1,
        "problem": bundle.slug,
        "version": bundle.spec.version,
        "files": list(bundle.spec.files),
        "optional_files": list(bundle.spec.optional_files),
        "tests": tests,
        "service_only": [_service_only(t) for t in bundle.spec.tests if not _checked(t)],
    }
    assert all(t["name"] in run.inputs for t in tests)
    files = {f"{KIT_FOLDER}/{path}": text.encode() for path, text in _STUBS.items()}
    files |= {f"{KIT_FOLDER}/{target}": _source(source) for source, target in _SHIPPED.items()}
    judge = resources.files("grader.judge")
    files |= {f"{KIT_FOLDER}/grader/judge/{f.name}": f.read_bytes() for f in judge.iterdir() if f.name.endswith(".py")}
    files[f"{KIT_FOLDER}/problem/driver.py"] = bundle.files["driver.py"]
    files[f"{KIT_FOLDER}/kit.json"] = json.dumps(spec, indent=1, allow_nan=False).encode()
    files[f"{KIT_FOLDER}/kit.npz"] = arrays.npz()
    files[ENTRY] = _source("grader/_kit/check.py")
    return files


def _checked(test: TestSpec) -> bool:
    """The kit checks the visible unit tests; hidden tests and trained models are judged on the service."""
    return test.visible and test.kind == "unit"


def _source(path: str) -> bytes:
    package, _, name = path.rpartition("/")
    return resources.files(package.replace("/", ".")).joinpath(name).read_bytes()


def _unit_test(prepared: PreparedProblem, test: TestSpec, arrays: _Arrays) -> dict[str, Any]:
    bundle, run = prepared.bundle, prepared.run
    judging = prepared.judging(test)
    ctx = judging.context
    limits = bundle.spec.limits
    return {
        "name": test.name,
        "function": test.function,
        "driver": test.driver_name,
        "points": test.points,
        "seconds": test.time_seconds or limits.time_seconds,
        "memory_mb": test.memory_mb or limits.memory_mb,
        "inputs": arrays.store(run.inputs[test.name]),
        "reference": arrays.store(dict(run.results[test.name])),
        "tolerance": _tolerance(judging.tolerance),
        "per_result": {k: _tolerance(v) for k, v in judging.per_result.items()},
        "context": {
            "function": ctx.function,
            "labels": None if ctx.labels is None else arrays.store(ctx.labels),
            "x": None if ctx.x is None else arrays.store(ctx.x),
            "p_keep": ctx.p_keep,
            "batchnorm": ctx.batchnorm,
            "eps": ctx.eps,
            "pad": ctx.pad,
        },
        "variants": [
            {"name": v.name, "hint": v.hint, "results": arrays.store(dict(v.results))} for v in judging.variants
        ],
        "failures": [list(f) for f in variant_failures(bundle, test, run)],
    }


def _tolerance(tol: Any) -> dict[str, float]:
    return {"rel_norm": tol.rel_norm, "rtol": tol.rtol, "atol": tol.atol}


def _service_only(test: TestSpec) -> dict[str, Any]:
    why = "hidden test" if not test.visible else "trains a model on the service's data"
    return {"name": test.name, "function": test.function, "max_points": test.points, "why": why}


def kit_size(files: dict[str, bytes]) -> int:
    """The kit's bytes as they unpack (for the README's table and the tests)."""
    return sum(len(v) for k, v in files.items() if k == ENTRY or k.startswith(KIT_FOLDER + "/"))
