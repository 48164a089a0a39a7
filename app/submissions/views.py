"""A stored result read back as the engine's report, and the part of it each viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db.models import Submission, SubmissionState
from grader.grading import GradeReport, TestReport, student_view


def stored_report(submission: Submission) -> GradeReport:
    """The submission's stored result as the engine's `GradeReport` (empty until it is graded)."""
    output = submission.output or {}
    done = submission.state in (SubmissionState.GRADED, SubmissionState.FAILED)
    tests = [
        TestReport(
            name=t.name,
            function=t.function,
            points=t.points,
            max_points=t.max_points,
            passed=t.passed,
            visible=t.visible,
            stage=t.stage,
            feedback=t.feedback,
            diagnosis=[str(d) for d in t.diagnosis or []],
            causes=list(t.causes or []),
            seconds=t.seconds,
            accuracy=t.accuracy,
        )
        for t in (submission.tests if done else [])
    ]
    return GradeReport(
        problem=submission.problem.slug,
        version=str(output.get("version", "")),
        score=submission.raw_score or 0.0,
        max_score=submission.max_score or 0.0,
        status=submission.state.value,
        tests=tests,
        metrics=dict(submission.metrics or {}),
        stdout=str(output.get("stdout", "")),
        stderr=str(output.get("stderr", "")),
        output_truncated=bool(output.get("output_truncated", False)),
        sandbox=str(output.get("sandbox", "")),
        seconds=float(output.get("seconds") or 0.0),
    )


@dataclass(frozen=True)
class TestView:
    """One test as a viewer may read it; a hidden test a student reads has no stage, accuracy or seconds."""

    __test__ = False  # not a pytest test class

    name: str
    function: str
    points: float
    max_points: float
    passed: bool
    visible: bool
    stage: str | None
    feedback: str
    diagnosis: list[str]
    accuracy: float | None
    seconds: float | None
    # the kind and tier of each diagnosis: staff only
    causes: list[dict[str, object]] | None = None


@dataclass(frozen=True)
class ResultView:
    """The tests, metrics and captured output a viewer may read."""

    tests: list[TestView]
    metrics: dict[str, Any]
    stdout: str
    stderr: str
    output_truncated: bool


def result_view(submission: Submission, *, staff: bool, reveal_hidden: bool = False) -> ResultView:
    """The tests, metrics and captured output a viewer may read: staff everything, a student `student_view`."""
    report = stored_report(submission)
    data = report.to_dict() if staff else student_view(report, reveal_hidden=reveal_hidden)
    return ResultView(
        tests=[TestView(**test) for test in data["tests"]],
        metrics=data["metrics"],
        stdout=data["stdout"],
        stderr=data["stderr"],
        output_truncated=data["output_truncated"],
    )
