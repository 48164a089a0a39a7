"""Naming a recognisable shape mistake: transposed, not cropped, an axis of 1, a missing batch sum."""

from __future__ import annotations

import numpy as np

from grader.judge._infer import batch_size
from grader.judge._messages import shape
from grader.judge._types import Context

Shape = tuple[int, ...]


def shape_hint(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    """One or two sentences naming the likely shape mistake, or ''."""
    for check in (_transposed, _padded, _axis_of_one, _batch_axis, _permuted, _same_size):
        hint = check(path, want, got, ctx)
        if hint:
            return hint
    return ""


def _transposed(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    if len(want) == 2 and got == want[::-1]:
        return "It looks transposed: swap the operands of the product that builds it, or transpose it."
    return ""


def _padded(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    pad = ctx.pad
    if not pad or len(want) != 4 or got[:2] != want[:2]:
        return ""
    if got[2:] == (want[2] + 2 * pad, want[3] + 2 * pad):
        return (
            f"That is the padded input's shape: {path} was not cropped from the padded buffer "
            f"(drop {pad} row(s) and column(s) on each side, e.g. [:, :, {pad}:-{pad}, {pad}:-{pad}])."
        )
    return ""


def _axis_of_one(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    if got == want or tuple(d for d in got if d != 1) != tuple(d for d in want if d != 1):
        return ""
    if len(got) > len(want):
        return (
            f"It has an extra axis of length 1: squeeze it (np.squeeze or .reshape{shape(want)}), "
            "or avoid keepdims=True / column vectors."
        )
    if len(got) < len(want):
        return f"It is missing an axis of length 1: reshape it to {shape(want)} (or keep the axis with keepdims=True)."
    return f"Its axes of length 1 are in the wrong place: reshape it to {shape(want)}."


def _batch_axis(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    n = batch_size(ctx)
    if not n or n == 1:
        return ""
    if got == (n, *want):
        return f"It has an extra leading batch axis of {n}: sum over the batch (axis=0) to get {shape(want)}."
    if want == (n, *got):
        return f"It is missing the batch axis: each of the {n} samples needs its own value, so do not sum over axis 0."
    return ""


def _permuted(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    if len(want) > 2 and sorted(got) == sorted(want):
        return f"Its axes are in a different order: check the order of a transpose or reshape (want {shape(want)})."
    return ""


def _same_size(path: str, want: Shape, got: Shape, ctx: Context) -> str:
    if int(np.prod(got)) == int(np.prod(want)):
        return f"It has the right number of elements: reshape it to {shape(want)} (e.g. dx.reshape(x.shape))."
    return ""
