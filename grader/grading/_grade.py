"""Grading one submission: validate, run the student's calls, judge, report."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Mapping
from typing import Any

from grader._harness import wire
from grader.bundle import Bundle, TestSpec
from grader.grading._reference import ReferenceCache, ReferenceRun
from grader.grading._report import GradeReport, TestReport
from grader.grading._runner import Call, CallResult, JobRun, run_calls
from grader.grading._score import score_accuracy, score_unit, smallest_failing_inputs
from grader.sandbox import Sandbox

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
    out.update({f"sub/{k}": v for k, v in files.items()})
    out["problem/driver.py"] = bundle.files["driver.py"]
    return out


def _call_for(bundle: Bundle, test: TestSpec, inputs_path: str) -> Call:
    limits = bundle.spec.limits
    return Call(
        test_id=test.name,
        driver=test.driver_name,
        seconds=test.time_seconds or limits.time_seconds,
        memory_mb=test.memory_mb or limits.memory_mb,
        inputs=inputs_path,
    )


@functools.lru_cache(maxsize=32)
def public_data(bundle: Bundle, name: str) -> bytes:
    """A data file's arrays without the secret ones, in the wire format (encoded once per bundle)."""
    secret = set(bundle.data_spec(name).secret)
    arrays = {k: v for k, v in bundle.data(name).items() if k not in secret}
    return wire.encode_frame({"k": "inputs"}, arrays, with_value=True)


def _run_group(
    bundle: Bundle,
    tests: list[TestSpec],
    files: Mapping[str, bytes],
    ref: ReferenceRun,
    sandbox: Sandbox,
    *,
    lazy_numgrad: bool = True,
) -> JobRun:
    job_files = _student_files(bundle, files)
    calls = []
    for i, test in enumerate(tests):
        if test.kind == "accuracy":
            assert test.data is not None
            path = "inputs/" + test.data.replace("/", "_") + ".bin"
            if path not in job_files:
                job_files[path] = public_data(bundle, test.data)
        else:
            path = f"inputs/{i}.bin"
            job_files[path] = ref.encoded_inputs(test.name)
        calls.append(_call_for(bundle, test, path))
    modules = [f for f in bundle.submitted_files if f in files]
    output_bytes = bundle.spec.limits.output_kb * 1024
    fresh = bundle.spec.limits.fresh_process
    return run_calls(
        sandbox,
        calls,
        job_files,
        mode="student",
        modules=modules,
        output_bytes=output_bytes,
        fresh=fresh,
        lazy_numgrad=lazy_numgrad,
    )


def grade_files(
    bundle: Bundle,
    files: Mapping[str, bytes],
    sandbox: Sandbox,
    cache: ReferenceCache | None = None,
    *,
    units_only: bool = False,
) -> GradeReport:
    """Grade submitted files against a bundle through the sandbox."""
    started = time.monotonic()
    validate_submission(bundle, files)
    ref = (cache or ReferenceCache()).get(bundle, sandbox)
    tests = [t for t in bundle.spec.tests if t.kind == "unit" or not units_only]
    visible = [t for t in tests if t.visible]
    hidden = [t for t in tests if not t.visible]
    runs = {True: _run_group(bundle, visible, files, ref, sandbox) if visible else JobRun(results={})}
    runs[False] = _run_group(bundle, hidden, files, ref, sandbox) if hidden else JobRun(results={})
    reports: list[TestReport] = []
    metrics: dict[str, Any] = {}
    rerun = _with_numgrad(bundle, tests, runs, files, ref, sandbox)
    for test in tests:
        res = rerun.get(test.name) or runs[test.visible].results[(test.name, None)]
        if test.kind == "unit":
            reports.append(score_unit(bundle, test, res, ref))
        else:
            report, extra = score_accuracy(bundle, test, res)
            reports.append(report)
            for key, value in extra.items():
                metrics.setdefault(key, {})[test.name] = value
    smallest_failing_inputs(reports, ref)
    shown = runs[True]
    kills: dict[str, int] = {}
    for run in runs.values():
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


def _wants_numgrad(ref: ReferenceRun, test: TestSpec) -> bool:
    inputs = ref.inputs.get(test.name)
    return isinstance(inputs, dict) and inputs.get("numgrad") is True


def _with_numgrad(
    bundle: Bundle,
    tests: list[TestSpec],
    runs: dict[bool, JobRun],
    files: Mapping[str, bytes],
    ref: ReferenceRun,
    sandbox: Sandbox,
) -> dict[str, CallResult]:
    """Numeric gradients cost two forward calls per input element, and only a failing test's diagnosis uses
    them: the first run skips them, and the unit tests that failed run again with them."""
    retry: dict[bool, list[TestSpec]] = {True: [], False: []}
    for test in tests:
        if test.kind != "unit" or not _wants_numgrad(ref, test):
            continue
        res = runs[test.visible].results[(test.name, None)]
        if res.status == "ok" and not score_unit(bundle, test, res, ref).passed:
            retry[test.visible].append(test)
    found: dict[str, CallResult] = {}
    for visible, group in retry.items():
        if not group:
            continue
        again = _run_group(bundle, group, files, ref, sandbox, lazy_numgrad=False)
        for test in group:
            first = runs[visible].results[(test.name, None)]
            second = again.results.get((test.name, None))
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
