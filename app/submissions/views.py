"""A stored result read back as the engine's report, and the part of it each viewer may see."""

from __future__ import annotations

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


RESULT_FIELDS = ("tests", "metrics", "stdout", "stderr", "output_truncated")


def result_view(submission: Submission, *, staff: bool, reveal_hidden: bool = False) -> dict[str, Any]:
    """The tests, metrics and captured output a viewer may read: staff everything, a student `student_view`."""
    report = stored_report(submission)
    data = report.to_dict() if staff else student_view(report, reveal_hidden=reveal_hidden)
    return {key: data[key] for key in RESULT_FIELDS}
