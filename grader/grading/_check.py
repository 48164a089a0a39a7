"""`check-problem`: proving a bundle is sound before it goes live."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from grader.bundle import Bundle, MistakeSpec
from grader.grading._grade import grade_files
from grader.grading._reference import OTHER_SEEDS, ReferenceCache, ReferenceFailure, ReferenceRun, draw_other_seeds
from grader.grading._report import GradeReport
from grader.grading._soundness import nonfinite, uncarried
from grader.grading._starter import starter_gaps
from grader.sandbox import Sandbox
from grader.values import Value

NUMGRAD_TOLERANCE = 1e-6


@dataclass
class CheckItem:
    """One check and its outcome."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class CheckReport:
    """Every check run on a bundle; `ok` only when all passed."""

    problem: str
    version: str
    items: list[CheckItem] = field(default_factory=list)
    reference_seconds: dict[str, float] = field(default_factory=dict)
    accuracy: dict[str, float] = field(default_factory=dict)
    # Per test, a digest of its inputs: two versions checked with the same seed key compare them.
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.items.append(CheckItem(name, ok, detail))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def lines(self) -> list[str]:
        """The report as `check-problem` prints it, ending with its verdict."""
        out = [f"[{'ok  ' if i.ok else 'FAIL'}] {i.name}" + (f": {i.detail}" if i.detail else "") for i in self.items]
        for name, acc in self.accuracy.items():
            out.append(f"       accuracy of the reference on {name}: {acc:.4f} ({self.reference_seconds[name]:.1f} s)")
        return [*out, "bundle OK" if self.ok else "bundle has problems"]


def mutated_files(bundle: Bundle, mistake: MistakeSpec) -> dict[str, bytes]:
    """The solution with a variant's definitions appended to its module: a student's mistake."""
    files = bundle.solution_files()
    module = bundle.mistake_module(mistake)
    files[module] = (
        files[module] + b"\n\n# --- known mistake: " + mistake.name.encode() + b" ---\n" + bundle.files[mistake.file]
    )
    return files


Progress = Callable[[CheckReport, int, int], None]  # the report so far, steps done, steps in all


def check_problem(
    bundle: Bundle,
    sandbox: Sandbox,
    *,
    variants: bool = True,
    starter: bool = True,
    seed_key: bytes | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Run every soundness check on a loaded bundle (inputs seeded from `seed_key`, as grading will)."""
    report = CheckReport(problem=bundle.slug, version=bundle.spec.version)
    steps = 2 + int(starter) + (len(bundle.spec.mistakes) if variants else 0)
    done = _Steps(report, steps, progress)
    report.add("loads", True, f"{len(bundle.spec.tests)} tests, {len(bundle.spec.mistakes)} mistake variants")
    cache = ReferenceCache()
    try:
        prepared = cache.prepared(bundle, sandbox, seed_key)
    except ReferenceFailure as exc:
        report.add("reference runs", False, str(exc))
        return report
    ref = prepared.run
    report.add("reference runs", True)
    _check_values(bundle, ref, report)
    report.inputs = prepared.input_digests()
    _check_numgrad(bundle, ref, report)
    _check_other_seeds(bundle, sandbox, report, seed_key)
    done.step()
    solution = bundle.solution_files()
    graded = grade_files(bundle, solution, sandbox, cache, seed_key=seed_key)
    _check_full_marks(graded, report)
    _check_limits(bundle, graded, report)
    done.step()
    if starter:
        _check_starter_defines(bundle, report)
        _check_starter(bundle, sandbox, cache, report, seed_key)
        done.step()
    if variants:
        for mistake in bundle.spec.mistakes:
            _check_variant(bundle, mistake, sandbox, cache, report, seed_key)
            done.step()
    return report


@dataclass
class _Steps:
    """Tells `progress` after each step of a check (nothing when nobody listens)."""

    report: CheckReport
    total: int
    progress: Progress | None
    done: int = 0

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.report, self.done, self.total)


def _check_numgrad(bundle: Bundle, ref: ReferenceRun, report: CheckReport) -> None:
    worst, where, count = 0.0, "", 0
    for test, results in ref.results.items():
        numgrad = results.get("@numgrad")
        if not isinstance(numgrad, dict):
            continue
        finite_only = bundle.test(test).allow_nonfinite  # where NaN is the answer, centred differences say nothing
        for name, (analytic, numeric) in _pairs(results, numgrad, ""):
            count += 1
            err = _rel(analytic, numeric, finite_only)
            if err > worst:
                worst, where = err, f"{test}: {name}"
    detail = f"{count} gradients checked; worst relative error {worst:.2e}" + (f" at {where}" if where else "")
    if not count:  # a problem of forward passes only has no gradient to check
        detail = "no driver returns @numgrad, so there is no gradient to check"
    report.add("reference gradients agree with centred differences", worst <= NUMGRAD_TOLERANCE, detail)


def _pairs(
    results: Mapping[str, Value], numgrad: Mapping[str, Value], prefix: str
) -> list[tuple[str, tuple[Any, Any]]]:
    out: list[tuple[str, tuple[Any, Any]]] = []
    for name, numeric in numgrad.items():
        analytic = results.get(name)
        if isinstance(numeric, dict) and isinstance(analytic, dict):
            out += _pairs(analytic, numeric, f"{prefix}{name}.")
        else:
            out.append((prefix + name, (analytic, numeric)))
    return out


def _rel(a: Any, b: Any, finite_only: bool = False) -> float:
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return float("inf")
    if x.shape != y.shape:
        return float("inf")
    if finite_only:
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    if not (np.isfinite(x).all() and np.isfinite(y).all()):  # NaN compares as no error at all: never agree by it
        return 0.0 if np.array_equal(x, y, equal_nan=True) else float("inf")
    denom = max(float(np.linalg.norm(x)), float(np.linalg.norm(y)), 1e-12)
    return float(np.linalg.norm(x - y)) / denom


def _check_values(bundle: Bundle, ref: ReferenceRun, report: CheckReport) -> None:
    problems: list[str] = []
    nonfinite_found = False
    for test in bundle.spec.tests:
        if test.kind != "unit":
            continue
        results: Value = dict(ref.results.get(test.name) or {})
        problems += uncarried(test.name, "reference result", results)
        if not test.allow_nonfinite:
            scored = {k: v for k, v in ref.results.get(test.name, {}).items() if not k.startswith("@")}
            found = nonfinite(test.name, "generated input", ref.inputs.get(test.name))
            found += nonfinite(test.name, "reference result", scored)
            nonfinite_found = nonfinite_found or bool(found)
            problems += found
    detail = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
    if nonfinite_found:
        detail += (
            " — make the generator and the reference finite, or set `allow_nonfinite = true` on a test whose "
            "right answer holds NaN or infinity"
        )
    report.add("inputs and reference results are finite values the grader can carry", not problems, detail)


def _check_other_seeds(bundle: Bundle, sandbox: Sandbox, report: CheckReport, seed_key: bytes | None) -> None:
    draws = draw_other_seeds(bundle, sandbox, seed_key)
    failing = [
        f"{test}: {d.failed} of {d.tried} seeds failed, first: {d.first_error}" for test, d in draws.items() if d.failed
    ]
    if failing:  # a deployment whose seed secret draws such a seed could grade no submission of the test
        failing.append(
            "a generator must draw a valid case for every seed: construct the case instead of redrawing until it "
            "fits, or raise the number of tries"
        )
    detail = "; ".join(failing) if failing else f"{len(draws)} tests, {OTHER_SEEDS} seeds each"
    report.add(f"generators draw a case for {OTHER_SEEDS} other seeds", not failing, detail)


def _check_full_marks(graded: GradeReport, report: CheckReport) -> None:
    lost = [t for t in graded.tests if t.points < t.max_points]
    detail = "; ".join(f"{t.name}: {t.feedback.splitlines()[0]}" for t in lost[:10])
    report.add("reference scores full marks", not lost, detail or f"{graded.score:g}/{graded.max_score:g}")
    for test in graded.tests:
        report.reference_seconds[test.name] = round(test.seconds, 4)
        if test.accuracy is not None:
            report.accuracy[test.name] = test.accuracy


def _check_limits(bundle: Bundle, graded: GradeReport, report: CheckReport) -> None:
    tight = []
    for test in graded.tests:
        limit = bundle.test(test.name).time_seconds or bundle.spec.limits.time_seconds
        if test.seconds > limit / 2:
            tight.append(f"{test.name} took {test.seconds:.1f} s of its {limit:g} s limit")
    if tight:  # a student's code is often slower than the reference: leave them room
        tight.append("raise those tests' `time_seconds` or make the reference faster")
    report.add("time limits leave room (reference under half of each limit)", not tight, "; ".join(tight))


def _check_starter_defines(bundle: Bundle, report: CheckReport) -> None:
    gaps = starter_gaps(bundle)
    report.add("starter defines every function the tests call", not gaps, "; ".join(gaps[:8]))


def _check_starter(
    bundle: Bundle, sandbox: Sandbox, cache: ReferenceCache, report: CheckReport, seed_key: bytes | None
) -> None:
    starter = {k: v for k, v in bundle.folder("starter").items() if k in bundle.submitted_files}
    graded = grade_files(bundle, starter, sandbox, cache, units_only=True, seed_key=seed_key)
    silent = [t.name for t in graded.tests if "not implemented" not in t.feedback]
    ok = graded.score == 0 and not silent
    detail = f"score {graded.score:g}" + (f"; no 'not implemented' message on {silent[:5]}" if silent else "")
    report.add("starter scores 0 with 'not implemented' feedback", ok, detail)


def _check_variant(
    bundle: Bundle,
    mistake: MistakeSpec,
    sandbox: Sandbox,
    cache: ReferenceCache,
    report: CheckReport,
    seed_key: bytes | None,
) -> None:
    files = mutated_files(bundle, mistake)
    graded = grade_files(bundle, files, sandbox, cache, units_only=True, seed_key=seed_key)
    breaks = {t.name for t in bundle.tests_matching(mistake.breaks)}
    problems = []
    for test in graded.tests:
        if test.name in breaks and test.passed:
            problems.append(
                f"passes {test.name}, which it claims to break (drop it from `breaks`, "
                "or give a test inputs that expose the mistake)"
            )
        elif test.name not in breaks and not test.passed:
            problems.append(f"also fails {test.name} (add it to `breaks` or fix the variant)")
    hinted = any(mistake.hint in t.feedback for t in graded.tests if t.name in breaks)
    if not hinted:
        problems.append(
            "its hint is not shown on any test it breaks (the diagnosis never matched the variant's results)"
        )
    report.add(f"mistake {mistake.name} is caught", not problems, "; ".join(problems[:6]))
