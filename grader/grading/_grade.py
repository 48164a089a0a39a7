"""Grading one submission: validate, run the student's calls, judge, report."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import marshal
import sys
import time
from collections.abc import Mapping
from typing import Any

from grader._harness import wire
from grader.bundle import Bundle, TestSpec
from grader.grading._reference import ReferenceCache, ReferenceRun
from grader.grading._report import GradeReport, TestReport
from grader.grading._runner import Call, CallResult, JobRun, run_calls
from grader.grading._score import score_accuracy, score_unit, smallest_failing_inputs
from grader.sandbox import Attachment, Sandbox

MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 10


class SubmissionError(ValueError):
    """The submitted files cannot be graded; `errors` says what to fix."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def validate_submission(bundle: Bundle, files: Mapping[str, bytes]) -> None:
    """Names must be the problem's, each UTF-8 Python source within the size cap."""
    allowed = bundle.submitted_files
    errors = []
    if len(files) > MAX_FILES:
        errors.append(f"{len(files)} files submitted; at most {MAX_FILES} are accepted")
    for name, content in files.items():
        if name not in allowed:
            errors.append(f"{name!r} is not a file of this problem; submit {', '.join(allowed)}")
        elif len(content) > MAX_FILE_BYTES:
            errors.append(f"{name} is {len(content)} bytes; a submitted file may be at most {MAX_FILE_BYTES}")
        elif b"\x00" in content:
            errors.append(f"{name} contains NUL bytes: submit Python source text, not a binary file")
        else:
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append(f"{name} is not UTF-8 text (byte {exc.start}): save it as UTF-8")
    missing = [f for f in bundle.spec.files if f not in files]
    if missing:
        errors.append(f"missing {', '.join(missing)}: this problem needs {', '.join(bundle.spec.files)}")
    if errors:
        raise SubmissionError(errors)


def _student_files(bundle: Bundle, files: Mapping[str, bytes]) -> dict[str, bytes]:
    out = {f"sub/{k}": v for k, v in bundle.folder("support").items()}
    out["problem/driver.py"] = bundle.files["driver.py"]
    out.update(bytecode_for(bundle, tuple(out)))  # the problem's own modules, compiled once per bundle
    out.update({f"sub/{k}": v for k, v in files.items()})
    for name in files:  # a submitted file replaces a support file of the same name, and its bytecode with it
        out.pop(_pyc_path(f"sub/{name}"), None)
    return out


def _pyc_path(path: str) -> str:
    folder, _, name = path.rpartition("/")
    return f"{folder}/__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"


@functools.lru_cache(maxsize=64)
def bytecode_for(bundle: Bundle, paths: tuple[str, ...]) -> dict[str, bytes]:
    """Unchecked hash-based .pyc files (PEP 552) of a bundle's own Python files, by their path in the job.

    Every job imports the problem's driver and support modules; compiling them here once saves each job
    the compile. Python loads such a file without looking at the source again; a job that brings a
    different source under the same name (a submitted file) never gets the .pyc (see `_student_files`).
    """
    out = {}
    for path in paths:
        if not path.endswith(".py"):
            continue
        source = (
            bundle.files["driver.py"]
            if path == "problem/driver.py"
            else bundle.files.get(path.replace("sub/", "support/", 1))
        )
        if source is None:
            continue
        try:
            code = compile(source, "/job/" + path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            continue  # the job reports it, with the line, when it imports the file
        header = importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + importlib.util.source_hash(source)
        out[_pyc_path(path)] = header + marshal.dumps(code)
    return out


def _call_for(bundle: Bundle, test: TestSpec, call_id: str, inputs_path: str, at: tuple[int, int]) -> Call:
    limits = bundle.spec.limits
    return Call(
        test_id=call_id,
        driver=test.driver_name,
        seconds=test.time_seconds or limits.time_seconds,
        memory_mb=test.memory_mb or limits.memory_mb,
        inputs=inputs_path,
        at=at,
        quiet=not test.visible,
    )


@functools.lru_cache(maxsize=32)
def public_data(bundle: Bundle, name: str) -> bytes:
    """A data file's arrays without the secret ones, in the wire format (encoded once per bundle)."""
    secret = set(bundle.data_spec(name).secret)
    arrays = {k: v for k, v in bundle.data(name).items() if k not in secret}
    return wire.encode_frame({"k": "inputs"}, arrays, with_value=True)


@dataclasses.dataclass
class _Run:
    """What one job run gave: each test's result by test name, and the output of its visible tests."""

    results: dict[str, CallResult]
    output: JobRun


def _run_tests(
    bundle: Bundle,
    tests: list[TestSpec],
    files: Mapping[str, bytes],
    ref: ReferenceRun,
    sandbox: Sandbox,
    *,
    lazy_numgrad: bool = True,
) -> _Run:
    """Visible and hidden tests in one job. A hidden test's call is named by its position only, its
    inputs are sealed (a read-only attachment, or a file under `sealed/`, that the harness hands over
    for hidden tests alone, once nothing can show their traces) and its output is discarded: nothing
    the visible tests can see or print tells anything about the hidden ones."""
    inputs = _inputs_of(bundle, tests, ref, keep=lazy_numgrad)
    job_files = {**_student_files(bundle, files), **inputs.files}
    modules = [f for f in bundle.submitted_files if f in files]
    output_bytes = bundle.spec.limits.output_kb * 1024
    fresh = bundle.spec.limits.fresh_process
    run = run_calls(
        sandbox,
        inputs.calls,
        job_files,
        mode="student",
        modules=modules,
        output_bytes=output_bytes,
        fresh=fresh,
        lazy_numgrad=lazy_numgrad,
        attached=inputs.attached,
    )
    return _Run(results={inputs.names[key[0]]: res for key, res in run.results.items()}, output=run)


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """The calls of a list of tests, and their inputs packed for the job (the same for every submission)."""

    calls: list[Call]
    names: dict[str, str]  # call id -> test name
    files: dict[str, bytes]  # the visible tests' inputs
    attached: dict[str, Attachment]  # the hidden tests' inputs


def _inputs_of(bundle: Bundle, tests: list[TestSpec], ref: ReferenceRun, keep: bool) -> _Inputs:
    """The tests' calls and packed inputs; with `keep`, packed once and kept with the reference run (for
    the test lists every submission runs, not for a rerun of whichever tests failed)."""
    key = ("inputs", *(t.name for t in tests))
    found = ref.memo.get(key)
    if found is None:
        found = _pack_inputs(bundle, tests, ref)
        if keep:
            ref.memo[key] = found
    return found


def _pack_inputs(bundle: Bundle, tests: list[TestSpec], ref: ReferenceRun) -> _Inputs:
    calls, names = [], {}
    packed = {"inputs.bin": bytearray(), "sealed/inputs.bin": bytearray()}
    where: dict[tuple[str, str], tuple[int, int]] = {}
    ordered = [t for t in tests if t.visible] + [t for t in tests if not t.visible]
    for i, test in enumerate(ordered):
        path = "inputs.bin" if test.visible else "sealed/inputs.bin"
        if test.kind == "accuracy":
            assert test.data is not None
            key = (path, "data:" + test.data)
            frame = public_data(bundle, test.data) if key not in where else b""
        else:
            key = (path, "test:" + test.name)
            frame = ref.encoded_inputs(test.name)
        if key not in where:
            where[key] = (len(packed[path]), len(frame))
            packed[path] += frame
        call_id = test.name if test.visible else f"hidden-{i}"
        names[call_id] = test.name
        calls.append(_call_for(bundle, test, call_id, path, where[key]))
    visible, hidden = packed["inputs.bin"], packed["sealed/inputs.bin"]
    return _Inputs(
        calls=calls,
        names=names,
        files={"inputs.bin": bytes(visible)} if visible else {},
        attached={"sealed/inputs.bin": Attachment(bytes(hidden))} if hidden else {},
    )


def grade_files(
    bundle: Bundle,
    files: Mapping[str, bytes],
    sandbox: Sandbox,
    cache: ReferenceCache | None = None,
    *,
    units_only: bool = False,
    seed_key: bytes | None = None,
) -> GradeReport:
    """Grade submitted files against a bundle through the sandbox (inputs seeded from `seed_key`)."""
    started = time.monotonic()
    validate_submission(bundle, files)
    ref = (cache or ReferenceCache()).get(bundle, sandbox, seed_key)
    tests = [t for t in bundle.spec.tests if t.kind == "unit" or not units_only]
    run = _run_tests(bundle, tests, files, ref, sandbox)
    scored = {test.name: _score(bundle, test, run.results[test.name], ref) for test in tests}
    for name, res in _with_numgrad(bundle, tests, run, scored, files, ref, sandbox).items():
        scored[name] = _score(bundle, bundle.test(name), res, ref)
    metrics: dict[str, Any] = {}
    for name, (_, extra) in scored.items():
        for key, value in extra.items():
            metrics.setdefault(key, {})[name] = value
    reports = [report for report, _ in scored.values()]
    smallest_failing_inputs(reports, ref)
    shown = run.output
    kills: dict[str, int] = {}
    for res in run.results.values():
        reason = _kill_reason(res.status)
        if reason:
            kills[reason] = kills.get(reason, 0) + 1
    return GradeReport(
        problem=bundle.slug,
        version=bundle.spec.version,
        score=round(sum(r.points for r in reports), 6),
        max_score=round(sum(r.max_points for r in reports), 6),
        status="graded",
        tests=reports,
        metrics=metrics,
        stdout=shown.stdout.decode("utf-8", "replace"),
        stderr=shown.stderr.decode("utf-8", "replace"),
        output_truncated=any(o.stdout_truncated or o.stderr_truncated for o in shown.outcomes),
        sandbox=sandbox.name,
        seconds=time.monotonic() - started,
        kills=kills,
    )


def _score(bundle: Bundle, test: TestSpec, res: CallResult, ref: ReferenceRun) -> tuple[TestReport, dict[str, Any]]:
    if test.kind == "unit":
        return score_unit(bundle, test, res, ref), {}
    report, extra = score_accuracy(bundle, test, res)
    return report, dict(extra)


def _wants_numgrad(ref: ReferenceRun, test: TestSpec) -> bool:
    inputs = ref.inputs.get(test.name)
    return isinstance(inputs, dict) and inputs.get("numgrad") is True


def _with_numgrad(
    bundle: Bundle,
    tests: list[TestSpec],
    run: _Run,
    scored: Mapping[str, tuple[TestReport, Any]],
    files: Mapping[str, bytes],
    ref: ReferenceRun,
    sandbox: Sandbox,
) -> dict[str, CallResult]:
    """Numeric gradients cost two forward calls per input element, and only a failing test's diagnosis uses
    them: the first run skips them, and the unit tests that failed run again with them."""
    retry = []
    for test in tests:
        if test.kind != "unit" or not _wants_numgrad(ref, test):
            continue
        if run.results[test.name].status == "ok" and not scored[test.name][0].passed:
            retry.append(test)
    if not retry:
        return {}
    found: dict[str, CallResult] = {}
    again = _run_tests(bundle, retry, files, ref, sandbox, lazy_numgrad=False)
    for test in retry:
        first = run.results[test.name]
        second = again.results.get(test.name)
        numgrad = second.value.get("@numgrad") if second and isinstance(second.value, dict) else None
        if isinstance(first.value, dict) and numgrad is not None:
            # The first run's answer is the one graded; the second only adds the evidence.
            found[test.name] = dataclasses.replace(first, value={**first.value, "@numgrad": numgrad})
    return found


_KILLS = {"timeout", "cpu", "memory", "output", "overflow", "channel", "harness"}


def _kill_reason(status: str) -> str | None:
    """Why the sandbox stopped a call, for metrics (None when the call ended by itself)."""
    if status in _KILLS:
        return status
    return "signal" if status.startswith("signal:") else None
