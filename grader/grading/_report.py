"""The result of grading one submission, and the one redaction of it that students see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class TestReport:
    """One test's outcome and the feedback a student can act on."""

    __test__ = False  # not a pytest test class

    name: str
    function: str
    points: float
    max_points: float
    passed: bool
    visible: bool
    stage: str | None  # a Stage (grader._vocab), None when passed
    feedback: str
    diagnosis: list[str] = field(default_factory=list)
    seconds: float = 0.0
    accuracy: float | None = None
    # beside each diagnosis, which cause it is: {"kind": "mistake:<variant>" | "factor:N" | ..., "tier": 0..7}
    causes: list[dict[str, object]] = field(default_factory=list)


@dataclass
class GradeReport:
    """The whole result: score, per-test feedback, metrics and captured output."""

    problem: str
    version: str
    score: float
    max_score: float
    status: str  # graded | failed
    tests: list[TestReport]
    metrics: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    output_truncated: bool = False
    sandbox: str = ""
    seconds: float = 0.0
    kills: dict[str, int] = field(default_factory=dict)  # calls the sandbox stopped, by reason

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain JSON-able data: what staff see. Students get `student_view`."""
        return asdict(self)


HIDDEN_NOTE = "Hidden test: its inputs and messages are not shown."


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def visible(self) -> bool: ...


def student_names(tests: Sequence[_Named], *, reveal_hidden: bool = False) -> list[str]:
    """Each test's name as students see it: a hidden test is `hidden test N`, N its place among the hidden ones."""
    names: list[str] = []
    hidden = 0
    for test in tests:
        if test.visible or reveal_hidden:
            names.append(test.name)
        else:
            hidden += 1
            names.append(f"hidden test {hidden}")
    return names


def student_view(report: GradeReport, *, reveal_hidden: bool = False) -> dict[str, Any]:
    """What a student may see: visible tests in full, a hidden test its pass/fail and points only.

    Everything a runner can influence in a hidden test (its seconds, stage, messages, diagnosis,
    accuracy, training history, the grading time and the sandbox's kill counts) could carry its
    hidden inputs out, so none of it is here; nor is a hidden test's name. `reveal_hidden` (a
    problem that shows hidden tests after its deadline) shows every test as if it were visible.
    """
    tests: list[dict[str, Any]] = []
    shown: set[str] = set()
    for test, name in zip(report.tests, student_names(report.tests, reveal_hidden=reveal_hidden), strict=True):
        if test.visible or reveal_hidden:
            tests.append({k: v for k, v in asdict(test).items() if k != "causes"})
            shown.add(test.name)
        else:
            tests.append(_hidden_test(test, name))
    return {
        "problem": report.problem,
        "version": report.version,
        "score": report.score,
        "max_score": report.max_score,
        "status": report.status,
        "tests": tests,
        "metrics": shown_metrics(report.metrics, shown),
        # The harness discards whatever is written once the hidden tests begin: this is the visible tests' output.
        "stdout": report.stdout,
        "stderr": report.stderr,
        "output_truncated": report.output_truncated,
    }


def _hidden_test(test: TestReport, name: str) -> dict[str, Any]:
    # The function is the statement's, not the run's: it tells nothing about the inputs.
    return {
        "name": name,
        "function": test.function,
        "points": test.points,
        "max_points": test.max_points,
        "passed": test.passed,
        "visible": False,
        "stage": None,
        "feedback": HIDDEN_NOTE + (" Passed." if test.passed else " Failed."),
        "diagnosis": [],
        "seconds": None,
        "accuracy": None,
    }


def shown_metrics(metrics: Mapping[str, Any], shown: Iterable[str]) -> dict[str, Any]:
    """The per-test metrics (`{"accuracy": {test: value}, ...}`) of the tests named in `shown` only."""
    names = set(shown)
    out: dict[str, Any] = {}
    for key, per_test in metrics.items():
        if isinstance(per_test, Mapping):
            kept = {name: value for name, value in per_test.items() if name in names}
            if kept:
                out[key] = kept
    return out


def format_table(report: GradeReport, *, student: bool = False) -> str:
    """A readable table for a terminal; with `student`, exactly what `student_view` shows."""
    view = student_view(report) if student else report.to_dict()
    lines = [f"{view['problem']} (version {view['version']}): {view['status']}", ""]
    tests: list[dict[str, Any]] = view["tests"]
    width = max([len(t["name"]) for t in tests] + [4])
    lines.append(f"{'test'.ljust(width)}  {'result':6}  points")
    for test in tests:
        mark = "pass" if test["passed"] else "FAIL"
        vis = "" if test["visible"] else "  (hidden)"
        points = f"{_pts(test['points'])}/{_pts(test['max_points'])}"
        lines.append(f"{test['name'].ljust(width)}  {mark:6}  {points}{vis}")
    lines += ["", f"score: {_pts(view['score'])} / {_pts(view['max_score'])}"]
    for key, value in view["metrics"].get("accuracy", {}).items():
        lines.append(f"accuracy[{key}]: {value:.4f}")
    failing = [t for t in tests if not t["passed"]]
    if failing:
        lines += ["", "feedback:"]
        for test in failing:
            lines.append(f"- {test['name']}: " + test["feedback"].replace("\n", "\n    "))
    if view["stdout"].strip():
        lines += ["", "captured output:", view["stdout"].rstrip()]
    return "\n".join(lines)


def _pts(x: float) -> str:
    return f"{x:g}"
