"""Comparison and diagnosis: the verdict on a student's results, and what they probably did."""

from grader.judge._compare import Context, ResultVerdict, Tolerance, Variant, describe, judge
from grader.judge._diagnose import diagnose_close, diagnose_shape, scale_candidates
from grader.judge._inputs import summarise_inputs

__all__ = [
    "Context",
    "ResultVerdict",
    "Tolerance",
    "Variant",
    "describe",
    "diagnose_close",
    "diagnose_shape",
    "judge",
    "scale_candidates",
    "summarise_inputs",
]
