"""Scalar results (losses): a constant offset, the SVM's extra delta, and the ratio to the reference."""

from __future__ import annotations

import numpy as np

from grader.judge._infer import number
from grader.judge._messages import apart, given, num
from grader.judge._types import Cause, Context, Tier


def scalar_diagnosis(path: str, s: np.ndarray, r: np.ndarray, ctx: Context) -> list[Cause]:
    """The offset s - r, named when it is exactly delta for a hinge/SVM loss; the ratio s / r."""
    got, want = float(s), float(r)
    offset = got - want
    out: list[Cause] = []
    delta = number(ctx.inputs.get("delta"), 1.0)
    is_svm = "svm" in ctx.function.lower() or "delta" in ctx.inputs
    if is_svm and delta and abs(offset - delta) <= 1e-6 * abs(delta):
        text = (
            f"Your {path} is too large by exactly delta = {given(delta)}: did you count j = y_i in the margins? "
            "The sum runs over j != y_i only (each true class adds a margin of exactly delta)."
        )
        out.append(Cause.of(text, Tier.FORMULA, path, kind="svm-delta"))
    ratio = f", {apart(got / want, 1.0)[0]} times the reference's" if want != 0.0 else ""
    text = f"Your {path} differs from the reference by {num(offset)}{ratio}."
    return [*out, Cause.of(text, Tier.SHAPELESS, path, kind="scalar-offset")]
