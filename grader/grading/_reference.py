"""Reference results: inputs from the generators, the reference's results and the variants'.

Computed in a sandbox (problem code is not trusted to run in our process), cached
per bundle digest and seed key in memory and, when a cache folder is given, on disk in the wire
format (read back with the hardened decoder, like anything from a sandbox).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader._harness import wire
from grader._harness.wire import FrameReader
from grader._vocab import CallStatus
from grader.bundle import Bundle, local_seed_key
from grader.grading._problem_code import Limit, failure_sentence
from grader.grading._runner import Call, CallResult, JobRun, run_calls
from grader.grading._soundness import uncarried
from grader.sandbox import Sandbox
from grader.values import Value

if TYPE_CHECKING:
    from grader.grading._prepared import PreparedProblem


class ReferenceFailure(RuntimeError):
    """The problem's own code failed: a bundle bug, reported to the instructor."""


@dataclass(frozen=True)
class ReferenceRun:
    """Inputs and results of every unit test, and of every variant on the tests it breaks."""

    inputs: Mapping[str, Value]
    results: Mapping[str, Mapping[str, Value]]
    variants: Mapping[tuple[str, str], Mapping[str, Value]]  # (variant, test) -> results
    failures: Mapping[tuple[str, str | None], CallResult]  # calls that did not return


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


# Stands in for driver.py while the generators run on their own: every driver returns nothing.
_INPUTS_ONLY_DRIVER = b"""def __getattr__(name):
    return _nothing


def _nothing(case):
    return {}
"""


def compute_reference(bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None) -> ReferenceRun:
    """Run the generators, then the reference and variants on their inputs, each under a wall limit of its own."""
    calls = reference_calls(bundle, seed_key)
    inputs = _generate(bundle, sandbox, [c for c in calls if c.variant is None])
    results, variants, failures = _run_reference(bundle, sandbox, calls, inputs)
    return ReferenceRun(inputs=inputs, results=results, variants=variants, failures=failures)


def _generate(bundle: Bundle, sandbox: Sandbox, calls: list[Call]) -> dict[str, Value]:
    """Every unit test's inputs, from its generator alone (so a slow generator is named as such)."""
    limits = bundle.spec.limits
    calls = [replace(c, seconds=limits.generator_seconds) for c in calls]
    files = {**reference_files(bundle), "problem/driver.py": _INPUTS_ONLY_DRIVER}
    ran = _run_probed(bundle, sandbox, calls, files, [], lambda c: str(c.case))
    inputs: dict[str, Value] = {}
    for call in calls:
        res = ran.get(call.key)
        if res is None:  # not run: another call failed first
            continue
        who = f"the generator cases.{call.case} for test {call.test_id!r}"
        if res.status != CallStatus.OK:
            limit = Limit(limits.generator_seconds, "generator_seconds")
            raise ReferenceFailure(failure_sentence(who, res, limit, call.memory_mb, limits.output_kb))
        problems = uncarried(call.test_id, "generated input", res.inputs)
        if problems:
            raise ReferenceFailure("\n".join(problems))
        inputs[call.test_id] = res.inputs
    return inputs


OTHER_SEEDS = 8  # extra seeds each generator must draw a case for (`check-problem`)


@dataclass(frozen=True)
class SeedDraws:
    """How one test's generator fared on the other seeds: how many failed, and the first failure's message."""

    failed: int
    tried: int
    first_error: str = ""


def other_seed(seed: int, index: int) -> int:
    """The `index`-th extra seed of a test, derived from its own seed (the same every run)."""
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def draw_other_seeds(
    bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None, count: int = OTHER_SEEDS
) -> dict[str, SeedDraws]:
    """Every unit test's generator drawn for `count` seeds besides its own, in one job, each draw under the
    `generator_seconds` limit; only whether each draw succeeded comes back, never its inputs."""
    limits = bundle.spec.limits
    base = [c for c in reference_calls(bundle, seed_key) if c.variant is None]
    calls = [
        replace(
            c,
            test_id=f"{c.test_id}#{i}",
            seed=other_seed(c.seed or 0, i),
            seconds=limits.generator_seconds,
            discard=True,
        )
        for c in base
        for i in range(count)
    ]
    files = {**reference_files(bundle), "problem/driver.py": _INPUTS_ONLY_DRIVER}
    ran = _run(bundle, sandbox, calls, files, []).results
    out: dict[str, SeedDraws] = {}
    for call in base:
        failed, first = 0, ""
        for i in range(count):
            res = ran.get((f"{call.test_id}#{i}", None))
            if res is not None and res.status == CallStatus.OK:
                continue
            failed += 1
            if not first:
                if res is None:
                    first = "not run"
                else:
                    limit = Limit(limits.generator_seconds, "generator_seconds")
                    who = f"cases.{call.case}"
                    first = failure_sentence(who, res, limit, call.memory_mb, limits.output_kb).splitlines()[0]
        out[call.test_id] = SeedDraws(failed=failed, tried=count, first_error=first[:300])
    return out


def _run_reference(
    bundle: Bundle, sandbox: Sandbox, calls: list[Call], inputs: Mapping[str, Value]
) -> tuple[dict[str, Mapping[str, Value]], dict[tuple[str, str], Mapping[str, Value]], dict[Any, CallResult]]:
    """The reference's and the variants' results on the generated inputs (read from a file in the job)."""
    limits = bundle.spec.limits
    packed, at = bytearray(), {}
    for test, value in inputs.items():
        frame = wire.encode_frame({"k": "inputs"}, value, with_value=True)
        at[test] = (len(packed), len(frame))
        packed += frame
    calls = [replace(c, seconds=limits.reference_seconds, inputs="inputs.bin", at=at[c.test_id]) for c in calls]
    files = {**reference_files(bundle), "inputs.bin": bytes(packed)}
    present = [f for f in bundle.submitted_files if f"solution/{f}" in bundle.files]
    ran = _run_probed(bundle, sandbox, calls, files, present, lambda c: c.driver)
    results: dict[str, Mapping[str, Value]] = {}
    variants: dict[tuple[str, str], Mapping[str, Value]] = {}
    failures: dict[tuple[str, str | None], CallResult] = {}
    for call in calls:
        res = ran.get(call.key)
        if res is None:
            continue
        if res.status == CallStatus.OK and isinstance(res.value, dict):
            if call.variant is None:
                results[call.test_id] = res.value
            else:
                variants[(call.variant["name"], call.test_id)] = res.value
        elif call.variant is not None:
            failures[call.key] = res
        elif res.status == CallStatus.OK:
            raise ReferenceFailure(
                f"driver.py's {call.driver} returned {type(res.value).__name__} for test {call.test_id!r} with the "
                "reference: a driver returns a dict of named results"
            )
        else:
            who = f"the reference (driver {call.driver}) on test {call.test_id!r}"
            limit = Limit(limits.reference_seconds, "reference_seconds")
            raise ReferenceFailure(failure_sentence(who, res, limit, call.memory_mb, limits.output_kb))
    return results, variants, failures


def _run_probed(
    bundle: Bundle,
    sandbox: Sandbox,
    calls: list[Call],
    files: dict[str, bytes],
    modules: list[str],
    group: Callable[[Call], str],
) -> dict[tuple[str, str | None], CallResult]:
    """Results of `calls`: first one call of each group (a generator, a driver), in batches of 1, 2, 4, ... calls,
    then the others, stopping after the first batch in which a call failed: a generator or reference that loops
    for every test costs its limit once, not once for every test or every group."""
    first: dict[str, Call] = {}
    for call in calls:
        if call.variant is None:
            first.setdefault(group(call), call)
    probe = list(first.values())
    results: dict[tuple[str, str | None], CallResult] = {}
    size = 1
    while probe:
        batch, probe = probe[:size], probe[size:]
        results.update(_run(bundle, sandbox, batch, files, modules).results)
        if any(r.status != CallStatus.OK for r in results.values()):
            return results
        size *= 2
    rest = [c for c in calls if c.key not in results]
    results.update(_run(bundle, sandbox, rest, files, modules).results)
    return results


def _run(bundle: Bundle, sandbox: Sandbox, calls: list[Call], files: dict[str, bytes], modules: list[str]) -> JobRun:
    if not calls:
        return JobRun(results={})
    limits = bundle.spec.limits
    return run_calls(
        sandbox,
        calls,
        files,
        mode="reference",
        modules=modules,
        output_bytes=limits.output_kb * 1024,
        fresh=limits.fresh_process,
    )


def cache_key(bundle: Bundle, seed_key: bytes | None) -> str:
    """What a reference run depends on: the bundle's files and the seed key (which it never reveals)."""
    key = seed_key_or_local(bundle, seed_key)
    return hashlib.sha256(bundle.digest.encode() + b"\0" + key).hexdigest()


class ReferenceCache:
    """Reference runs by bundle digest and seed key, each with its problem prepared for grading (one
    `PreparedProblem`, built once per run and shared by every submission graded against it); safe to share
    between threads: a run is computed, and its problem prepared, by one thread while the others wait."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._prepared: dict[str, PreparedProblem] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None) -> ReferenceRun:
        """The cached run for this bundle and seed key, computing it once if needed."""
        return self.prepared(bundle, sandbox, seed_key).run

    def prepared(self, bundle: Bundle, sandbox: Sandbox, seed_key: bytes | None = None) -> PreparedProblem:
        """The bundle prepared for grading against its cached run for this seed key (computed once if needed)."""
        # imported here: the prepared problem judges with `_score`, which reads reference runs from this module
        from grader.grading._prepared import PreparedProblem

        key = cache_key(bundle, seed_key)
        with self._lock:
            if key in self._prepared:
                return self._prepared[key]
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            if key in self._prepared:
                return self._prepared[key]
            run = self._load(key) or compute_reference(bundle, sandbox, seed_key)
            self._store(key, run)
            prepared = PreparedProblem(bundle, run)
            with self._lock:
                self._prepared[key] = prepared
            return prepared

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
        # a variant that raises is recognised by its error (the student who makes that mistake raises it too)
        failed = {"k": "variant-failure"}
        frames += [
            wire.encode_frame({**failed, "test": t, "variant": m, "status": r.status, "message": r.message})
            for (t, m), r in run.failures.items()
            if m is not None
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
        failures: dict[tuple[str, str | None], CallResult] = {}
        for frame in reader.frames:
            test = str(frame.header.get("test"))
            if frame.kind == "inputs":
                inputs[test] = frame.value
            elif frame.kind == "result" and isinstance(frame.value, dict):
                results[test] = frame.value
            elif frame.kind == "variant" and isinstance(frame.value, dict):
                variants[(str(frame.header.get("variant")), test)] = frame.value
            elif frame.kind == "variant-failure":
                status, message = str(frame.header.get("status")), str(frame.header.get("message"))
                failures[(test, str(frame.header.get("variant")))] = CallResult(status=status, message=message)
        return ReferenceRun(inputs=inputs, results=results, variants=variants, failures=failures)
