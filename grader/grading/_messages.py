"""What a failed test is told beyond the judge's verdicts: its accuracy against the bar, a known crash."""

from __future__ import annotations

from grader.bundle import Bundle, TestSpec
from grader.grading._reference import ReferenceRun
from grader.grading._runner import CallResult
from grader.judge import apart, crash_causes, given


def accuracy_message(test: TestSpec, accuracy: float, right: int, total: int) -> str:
    """The accuracy against the bar, each number as precise as it takes (a bar of 0.995 stays 0.995)."""
    bar = test.thresholds[0].accuracy
    shown = apart(accuracy, bar)[0]  # 0.99496 must not print as 0.9950 beside a bar of 0.995
    if accuracy >= bar:
        return f"Test accuracy {shown} ({right} of {total} right) meets the bar of {given(bar)}."
    bars = ", ".join(f">= {given(t.accuracy)}: {given(t.fraction)} of the points" for t in test.thresholds)
    return f"Test accuracy {shown} ({right} of {total} right) is below the bar of {given(bar)} ({bars})."


def crash_hints(bundle: Bundle, test: TestSpec, res: CallResult, ref: ReferenceRun) -> list[str]:
    """Hints of the known-mistake variants that raised the very same error on this test's inputs."""
    return crash_causes(res.status, res.message, variant_failures(bundle, test, ref))


def variant_failures(bundle: Bundle, test: TestSpec, ref: ReferenceRun) -> list[tuple[str, str, str]]:
    """(status, message, hint) of each known-mistake variant whose call on this test's inputs did not return."""
    return [
        (failed.status, failed.message, m.hint)
        for m in bundle.spec.mistakes
        if (failed := ref.failures.get((test.name, m.name))) is not None
    ]
