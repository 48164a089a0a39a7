"""Comparison and diagnosis: the verdict on a student's results, and what they probably did."""

from grader.judge._compare import judge
from grader.judge._inputs import summarise_inputs
from grader.judge._messages import apart, describe_opaque, given
from grader.judge._outcome import (
    Failed,
    UnitOutcome,
    crash_causes,
    ran_message,
    smallest_failing,
    unit_outcome,
    with_causes,
)
from grader.judge._rank import MAX_CAUSES, likely_causes, ranked_causes
from grader.judge._training import trained_causes, training_causes
from grader.judge._types import Cause, Context, ResultVerdict, Tier, Tolerance, Variant
from grader.judge._variants import agree_everywhere

__all__ = [
    "MAX_CAUSES",
    "Cause",
    "Context",
    "Failed",
    "ResultVerdict",
    "Tier",
    "Tolerance",
    "UnitOutcome",
    "Variant",
    "agree_everywhere",
    "apart",
    "crash_causes",
    "describe_opaque",
    "given",
    "judge",
    "likely_causes",
    "ran_message",
    "ranked_causes",
    "smallest_failing",
    "summarise_inputs",
    "trained_causes",
    "training_causes",
    "unit_outcome",
    "with_causes",
]
