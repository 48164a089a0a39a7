"""The result of grading one submission, as the CLI, the service and students see it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    stage: str | None  # None when passed; ran | type | shape | finite | close | accuracy
    feedback: str
    diagnosis: list[str] = field(default_factory=list)
    seconds: float = 0.0
    accuracy: float | None = None


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

    def to_dict(self, *, student_view: bool = False) -> dict[str, Any]:
        """Plain JSON-able data; with `student_view`, hidden tests keep only their score."""
        data = asdict(self)
        if student_view:
            data["tests"] = [_student_test(t) for t in self.tests]
        return data


_HIDDEN = "Hidden test: its inputs and messages are not shown."


def _student_test(test: TestReport) -> dict[str, Any]:
    data = asdict(test)
    if not test.visible:
        data.update(feedback=_HIDDEN + (" Passed." if test.passed else " Failed."), diagnosis=[])
    return data


def format_table(report: GradeReport) -> str:
    """A readable table for a terminal."""
    lines = [f"{report.problem} (version {report.version}): {report.status}", ""]
    width = max([len(t.name) for t in report.tests] + [4])
    lines.append(f"{'test'.ljust(width)}  {'result':6}  points")
    for test in report.tests:
        mark = "pass" if test.passed else "FAIL"
        vis = "" if test.visible else "  (hidden)"
        lines.append(f"{test.name.ljust(width)}  {mark:6}  {_pts(test.points)}/{_pts(test.max_points)}{vis}")
    lines += ["", f"score: {_pts(report.score)} / {_pts(report.max_score)}"]
    for key, value in report.metrics.get("accuracy", {}).items():
        lines.append(f"accuracy[{key}]: {value:.4f}")
    failing = [t for t in report.tests if not t.passed]
    if failing:
        lines += ["", "feedback:"]
        for test in failing:
            lines.append(f"- {test.name}: " + test.feedback.replace("\n", "\n    "))
    if report.stdout.strip():
        lines += ["", "captured output:", report.stdout.rstrip()]
    return "\n".join(lines)


def _pts(x: float) -> str:
    return f"{x:g}"
