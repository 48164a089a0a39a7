"""Reference results: inputs from the generators, the reference's results and the variants'.

Computed in a sandbox (problem code is not trusted to run in our process), cached
per bundle digest and seed key in memory and, when a cache folder is given, on disk in the wire
format (read back with the hardened decoder, like anything from a sandbox).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader._harness import wire
from grader.bundle import Bundle, local_seed_key
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

    def input_digest(self, test: str) -> str:
        """A digest of a unit test's generated inputs: equal digests, equal inputs."""
        return hashlib.sha256(self.encoded_inputs(test)).hexdigest()[:32]


def input_digests(bundle: Bundle, run: ReferenceRun) -> dict[str, str]:
    """Per test, a digest of what its calls receive: generated inputs, or an accuracy test's data file."""
    digests = {}
    for test in bundle.spec.tests:
        if test.kind == "unit" and test.name in run.inputs:
            digests[test.name] = run.input_digest(test.name)
        elif test.data is not None and test.data in bundle.files:
            data = hashlib.sha256(bundle.files[test.data]).hexdigest()
            digests[test.name] = hashlib.sha256(f"{data}:{test.labels}".encode()).hexdigest()[:32]
    return digests


def seed_key_or_local(bundle: Bundle, seed_key: bytes | None) -> bytes:
    """The problem's seed key, or the documented local one for a bundle graded without a service."""
    return seed_key if seed_key is not None else local_seed_key(bundle.slug)


def reference_calls(bundle: Bundle, seed_key: bytes | None = None) -> list[Call]:
    """Every unit test, then every variant on the tests it claims to break."""
    calls = []
    key = seed_key_or_local(bundle, seed_key)
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
                seed=bundle.seed_for(test, key),
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


def compute_reference(bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None) -> ReferenceRun:
    """Run generators, reference and variants in one sandbox job (more if one dies)."""
    present = [f for f in bundle.submitted_files if f"solution/{f}" in bundle.files]
    run = run_calls(
        sandbox,
        reference_calls(bundle, seed_key),
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


def cache_key(bundle: Bundle, seed_key: bytes | None) -> str:
    """What a reference run depends on: the bundle's files and the seed key (which it never reveals)."""
    key = seed_key_or_local(bundle, seed_key)
    return hashlib.sha256(bundle.digest.encode() + b"\0" + key).hexdigest()


class ReferenceCache:
    """Reference runs by bundle digest and seed key; safe to share between threads."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._runs: dict[str, ReferenceRun] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None) -> ReferenceRun:
        """The cached run for this bundle and seed key, computing it once if needed."""
        key = cache_key(bundle, seed_key)
        with self._lock:
            if key in self._runs:
                return self._runs[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            if key in self._runs:
                return self._runs[key]
            run = self._load(key) or compute_reference(bundle, sandbox, seed_key)
            self._store(key, run)
            with self._lock:
                self._runs[key] = run
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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(frames))
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
