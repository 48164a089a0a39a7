"""Scalar results (losses): a constant offset, the SVM's extra delta, and the ratio to the reference."""

from __future__ import annotations

import numpy as np

from grader.judge._infer import number
from grader.judge._messages import num
from grader.judge._types import Context


def scalar_diagnosis(path: str, s: np.ndarray, r: np.ndarray, ctx: Context, *, plain: bool = True) -> list[str]:
    """The offset s - r, named when it is exactly delta for a hinge/SVM loss; the ratio s / r."""
    got, want = float(s), float(r)
    offset = got - want
    out = []
    delta = number(ctx.inputs.get("delta"), 1.0)
    is_svm = "svm" in ctx.function.lower() or "delta" in ctx.inputs
    if is_svm and delta and abs(offset - delta) <= 1e-6 * abs(delta):
        out.append(
            f"Your {path} is too large by exactly delta = {num(delta)}: did you count j = y_i in the margins? "
            "The sum runs over j != y_i only (each true class adds a margin of exactly delta)."
        )
    if not plain:
        return out
    ratio = f", {num(got / want)} times the reference's" if want != 0.0 else ""
    out.append(f"Your {path} differs from the reference by {num(offset)} (a constant offset{ratio}).")
    return out
