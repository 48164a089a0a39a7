"""Comparison and diagnosis: the verdict on a student's results, and what they probably did."""

from grader.judge._compare import judge
from grader.judge._inputs import summarise_inputs
from grader.judge._types import Context, ResultVerdict, Tolerance, Variant

__all__ = ["Context", "ResultVerdict", "Tolerance", "Variant", "judge", "summarise_inputs"]
