"""Grading one submission: validate, run the student's calls, judge, report."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from grader._vocab import SIGNAL_PREFIX, CallStatus
from grader.bundle import Bundle, TestSpec
from grader.grading._caps import submission_budget
from grader.grading._files import (
    MAX_FILE_BYTES,
    MAX_FILES,
    SubmissionError,
    Submitted,
    student_files,
    validate_submission,
)
from grader.grading._prepared import PreparedProblem, public_data
from grader.grading._reference import ReferenceCache, ReferenceRun
from grader.grading._report import GradeReport, TestReport
from grader.grading._runner import Budget, CallResult, JobRun, run_calls
from grader.grading._score import score_accuracy, score_unit, smallest_failing_inputs
from grader.notebooks import Extraction
from grader.sandbox import Sandbox

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "SubmissionError",
    "Submitted",
    "grade_files",
    "public_data",
    "validate_submission",
]

Judged = dict[str, tuple[TestReport, dict[str, Any]]]
Keep = Callable[[str, CallResult], CallResult]


@dataclasses.dataclass
class _Run:
    """What one job run gave: each test's result by test name, and the output of its visible tests."""

    results: dict[str, CallResult]
    output: JobRun


def _run_tests(
    bundle: Bundle,
    tests: list[TestSpec],
    files: Mapping[str, bytes],
    prepared: PreparedProblem,
    sandbox: Sandbox,
    *,
    budget: Budget | None = None,
    keep: Keep | None = None,
    lazy_numgrad: bool = True,
) -> _Run:
    """Visible and hidden tests in one job. A hidden test's call is named by its position only, its
    inputs are sealed (a read-only attachment, or a file under `sealed/`, that the harness hands over
    for hidden tests alone, once nothing can show their traces) and its output is discarded: nothing
    the visible tests can see or print tells anything about the hidden ones. Each result goes through
    `keep` as it arrives (so a run holds no more than what `keep` returns). The lists of tests every submission
    runs (with `lazy_numgrad`) are packed once and kept by `prepared`; a rerun of whichever tests failed is not."""
    budget = budget or Budget()
    judged = keep or (lambda _name, res: res)
    inputs = prepared.inputs_for(tests) if lazy_numgrad else prepared.pack(tests)
    job_files = {**student_files(bundle, files), **inputs.files}
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
        budget=budget,
        keep=lambda key, res: judged(inputs.names[key[0]], _explained(res, budget)),
    )
    return _Run(results={inputs.names[key[0]]: res for key, res in run.results.items()}, output=run)


def _explained(res: CallResult, budget: Budget) -> CallResult:
    """A result the runner gave only a status gets the figures its message needs."""
    if res.status == CallStatus.BUDGET and not res.message:
        res.message = f"{budget.seconds or 0:g} s"
    return res


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
    submitted = validate_submission(bundle, files)
    files = submitted.modules
    prepared = (cache or ReferenceCache()).prepared(bundle, sandbox, seed_key)
    ref = prepared.run
    tests = [t for t in bundle.spec.tests if t.kind == "unit" or not units_only]
    budget = submission_budget(bundle, tests, ref)
    scored: Judged = {}
    keep = _judge_on_arrival(bundle, prepared, scored)
    run = _run_tests(bundle, tests, files, prepared, sandbox, budget=budget, keep=keep)
    for name, res in _with_numgrad(bundle, tests, run, scored, files, prepared, sandbox, budget).items():
        scored[name] = _score(bundle, bundle.test(name), res, prepared)
    metrics: dict[str, Any] = {}
    for test in tests:
        for key, value in scored[test.name][1].items():
            metrics.setdefault(key, {})[test.name] = value
    reports = [scored[test.name][0] for test in tests]
    smallest_failing_inputs(reports, ref)
    shown = run.output
    kills: dict[str, int] = {}
    for res in run.results.values():
        reason = _kill_reason(res.status)
        if reason:
            kills[reason] = kills.get(reason, 0) + 1
    report = GradeReport(
        problem=bundle.slug,
        version=bundle.spec.version,
        score=round(sum(r.points for r in reports), 6),
        max_score=round(sum(r.max_points for r in reports), 6),
        status="graded",
        tests=reports,
        metrics=metrics,
        stdout=shown.stdout.decode("utf-8", "replace"),
        stderr=shown.stderr.decode("utf-8", "replace"),
        output_truncated=shown.truncated,
        sandbox=sandbox.name,
        seconds=time.monotonic() - started,
        kills=kills,
    )
    return _traced_to_cells(report, submitted.extraction) if submitted.extraction else report


def _traced_to_cells(report: GradeReport, extraction: Extraction) -> GradeReport:
    """A notebook's tracebacks say which cell each line of its modules came from."""
    for test in report.tests:
        test.feedback = extraction.relabel(test.feedback)
        test.diagnosis = [extraction.relabel(line) for line in test.diagnosis]
    report.stderr = extraction.relabel(report.stderr)
    return report


def _judge_on_arrival(bundle: Bundle, prepared: PreparedProblem, scored: Judged) -> Keep:
    """Judge each result as it arrives and drop its value, unless the rerun with numeric gradients needs it:
    a submission's results are never all held at once."""

    def keep(name: str, res: CallResult) -> CallResult:
        test = bundle.test(name)
        scored[name] = _score(bundle, test, res, prepared)
        if _needs_numgrad(prepared.run, test, res, scored[name][0]):
            return res
        return dataclasses.replace(res, value=None)

    return keep


def _needs_numgrad(ref: ReferenceRun, test: TestSpec, res: CallResult, report: TestReport) -> bool:
    return test.kind == "unit" and _wants_numgrad(ref, test) and res.status == CallStatus.OK and not report.passed


def _score(
    bundle: Bundle, test: TestSpec, res: CallResult, prepared: PreparedProblem
) -> tuple[TestReport, dict[str, Any]]:
    if test.kind == "unit":
        return score_unit(bundle, test, res, prepared), {}
    report, extra = score_accuracy(bundle, test, res)
    return report, dict(extra)


def _wants_numgrad(ref: ReferenceRun, test: TestSpec) -> bool:
    inputs = ref.inputs.get(test.name)
    return isinstance(inputs, dict) and inputs.get("numgrad") is True


def _with_numgrad(
    bundle: Bundle,
    tests: list[TestSpec],
    run: _Run,
    scored: Judged,
    files: Mapping[str, bytes],
    prepared: PreparedProblem,
    sandbox: Sandbox,
    budget: Budget,
) -> dict[str, CallResult]:
    """Numeric gradients cost two forward calls per input element, and only a failing test's diagnosis uses
    them: the first run skips them, and the unit tests that failed run again with them."""
    retry = [t for t in tests if _needs_numgrad(prepared.run, t, run.results[t.name], scored[t.name][0])]
    if not retry or budget.out_of_time():
        return {}
    found: dict[str, CallResult] = {}
    again = _run_tests(bundle, retry, files, prepared, sandbox, budget=budget, keep=_numgrad_only, lazy_numgrad=False)
    for test in retry:
        first = run.results[test.name]
        second = again.results.get(test.name)
        numgrad = second.value.get("@numgrad") if second and isinstance(second.value, dict) else None
        if isinstance(first.value, dict) and numgrad is not None:
            # The first run's answer is the one graded; the second only adds the evidence.
            found[test.name] = dataclasses.replace(first, value={**first.value, "@numgrad": numgrad})
    return found


def _numgrad_only(name: str, res: CallResult) -> CallResult:
    value = res.value.get("@numgrad") if res.status == CallStatus.OK and isinstance(res.value, dict) else None
    return dataclasses.replace(res, value=None if value is None else {"@numgrad": value})


_KILLS = {
    CallStatus.TIMEOUT,
    CallStatus.CPU,
    CallStatus.MEMORY,
    CallStatus.OUTPUT,
    CallStatus.OVERFLOW,
    CallStatus.CHANNEL,
    CallStatus.HARNESS,
    CallStatus.BUDGET,
}


def _kill_reason(status: str) -> str | None:
    """Why the sandbox stopped a call, for metrics (None when the call ended by itself)."""
    if status in _KILLS:
        return status
    return "signal" if status.startswith(SIGNAL_PREFIX) else None
