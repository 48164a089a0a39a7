"""Reference results: inputs from the generators, the reference's results and the variants'.

Computed in a sandbox (problem code is not trusted to run in our process), cached
per bundle digest in memory and, when a cache folder is given, on disk in the wire
format (read back with the hardened decoder, like anything from a sandbox).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader._harness import wire
from grader.bundle import Bundle
from grader.codec import FrameReader
from grader.grading._runner import Call, CallResult, run_calls
from grader.sandbox import Sandbox
from grader.values import Value


class ReferenceFailure(RuntimeError):
    """The problem's own code failed: a bundle bug, reported to the instructor."""


@dataclass(frozen=True)
class ReferenceRun:
    """Inputs and results of every unit test, and of every variant on the tests it breaks."""

    inputs: Mapping[str, Value]
    results: Mapping[str, Mapping[str, Value]]
    variants: Mapping[tuple[str, str], Mapping[str, Value]]  # (variant, test) -> results
    failures: Mapping[tuple[str, str | None], CallResult]  # calls that did not return
    # What grading works out once and reuses for every submission graded against this run, by a key whose
    # first part names the kind of entry: ("encoded", test) here, ("judging", test) in `_score`, and
    # ("inputs", *tests) in `_grade`.
    memo: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    def encoded_inputs(self, test: str) -> bytes:
        """A test's inputs in the wire format, encoded once and shared by every submission."""
        key = ("encoded", test)
        if key not in self.memo:
            self.memo[key] = wire.encode_frame({"k": "inputs"}, self.inputs[test], with_value=True)
        encoded: bytes = self.memo[key]
        return encoded


def reference_calls(bundle: Bundle) -> list[Call]:
    """Every unit test, then every variant on the tests it claims to break."""
    calls = []
    limits = bundle.spec.limits
    for test in bundle.spec.tests:
        if test.kind != "unit":
            continue
        calls.append(
            Call(
                test_id=test.name,
                driver=test.driver_name,
                seconds=test.time_seconds or limits.time_seconds,
                memory_mb=test.memory_mb or limits.memory_mb,
                case=test.case,
                params=test.params,
                seed=bundle.seed_for(test),
            )
        )
    by_name = {c.test_id: c for c in calls}
    for mistake in bundle.spec.mistakes:
        variant = {"name": mistake.name, "file": mistake.file, "module": bundle.mistake_module(mistake)}
        for test in bundle.tests_matching(mistake.breaks):
            base = by_name[test.name]
            calls.append(Call(**{**base.__dict__, "variant": variant}))
    return calls


def reference_files(bundle: Bundle) -> dict[str, bytes]:
    """What the reference job sees: solution, support files, driver, generators, variants."""
    files = {f"sub/{k}": v for k, v in bundle.folder("solution").items()}
    files.update({f"sub/{k}": v for k, v in bundle.folder("support").items()})
    files["problem/driver.py"] = bundle.files["driver.py"]
    if "cases.py" in bundle.files:
        files["problem/cases.py"] = bundle.files["cases.py"]
    for mistake in bundle.spec.mistakes:
        files[f"problem/{mistake.file}"] = bundle.files[mistake.file]
    return files


def compute_reference(bundle: Bundle, sandbox: Sandbox) -> ReferenceRun:
    """Run generators, reference and variants in one sandbox job (more if one dies)."""
    present = [f for f in bundle.submitted_files if f"solution/{f}" in bundle.files]
    run = run_calls(
        sandbox,
        reference_calls(bundle),
        reference_files(bundle),
        mode="reference",
        modules=present,
        fresh=bundle.spec.limits.fresh_process,
    )
    inputs: dict[str, Value] = {}
    results: dict[str, Mapping[str, Value]] = {}
    variants: dict[tuple[str, str], Mapping[str, Value]] = {}
    failures: dict[tuple[str, str | None], CallResult] = {}
    for (test, variant), res in run.results.items():
        if res.status != "ok" or not isinstance(res.value, dict):
            failures[(test, variant)] = res
        elif variant is None:
            results[test] = res.value
            inputs[test] = res.inputs
        else:
            variants[(variant, test)] = res.value
    for (test, variant), res in failures.items():
        if variant is None:
            raise ReferenceFailure(
                f"the reference failed on test {test!r} ({res.status}): {res.message}\n{res.traceback}".strip()
            )
    return ReferenceRun(inputs=inputs, results=results, variants=variants, failures=failures)


class ReferenceCache:
    """Reference runs by bundle digest; safe to share between threads."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._runs: dict[str, ReferenceRun] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, bundle: Bundle, sandbox: Sandbox) -> ReferenceRun:
        """The cached run for this bundle, computing it once if needed."""
        with self._lock:
            if bundle.digest in self._runs:
                return self._runs[bundle.digest]
            lock = self._building.setdefault(bundle.digest, threading.Lock())
        with lock:
            if bundle.digest in self._runs:
                return self._runs[bundle.digest]
            run = self._load(bundle.digest) or compute_reference(bundle, sandbox)
            self._store(bundle.digest, run)
            with self._lock:
                self._runs[bundle.digest] = run
            return run

    def _path(self, digest: str) -> Path | None:
        return None if self.folder is None else self.folder / f"reference-{digest}.bin"

    def _store(self, digest: str, run: ReferenceRun) -> None:
        path = self._path(digest)
        if path is None or path.exists():
            return
        frames = [wire.encode_frame({"k": "inputs", "test": t}, v, with_value=True) for t, v in run.inputs.items()]
        frames += [wire.encode_frame({"k": "result", "test": t}, v, with_value=True) for t, v in run.results.items()]
        frames += [
            wire.encode_frame({"k": "variant", "test": t, "variant": m}, v, with_value=True)
            for (m, t), v in run.variants.items()
        ]
        # Expected outputs and hidden inputs: readable by this user only.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            fh.write(b"".join(frames))
        tmp.replace(path)

    def _load(self, digest: str) -> ReferenceRun | None:
        path = self._path(digest)
        if path is None or not path.exists():
            return None
        reader = FrameReader()
        reader.feed(path.read_bytes())
        reader.finish()
        if reader.error is not None:
            path.unlink(missing_ok=True)
            return None
        inputs, results, variants = {}, {}, {}
        for frame in reader.frames:
            test = str(frame.header.get("test"))
            if frame.kind == "inputs":
                inputs[test] = frame.value
            elif frame.kind == "result" and isinstance(frame.value, dict):
                results[test] = frame.value
            elif frame.kind == "variant" and isinstance(frame.value, dict):
                variants[(str(frame.header.get("variant")), test)] = frame.value
        return ReferenceRun(inputs=inputs, results=results, variants=variants, failures={})
