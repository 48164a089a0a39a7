"""What the inputs say about the batch size N and the number of outputs K."""

from __future__ import annotations

import numpy as np

from grader.judge._types import Context
from grader.values import Value

_BATCH_NAMES = ("x", "X", "scores", "z", "logits", "pred", "y", "Y", "target", "dout")


def batch_size(ctx: Context) -> int | None:
    """N: the first axis of the labels, x, or a batch-shaped input."""
    for arr in (ctx.labels, ctx.x, *(ctx.inputs.get(name) for name in _BATCH_NAMES)):
        if isinstance(arr, np.ndarray) and arr.ndim >= 1 and arr.shape[0] > 0:
            return int(arr.shape[0])
    return None


def num_classes(ctx: Context, r: np.ndarray) -> int | None:
    """K: the last axis of a 2-D batch-shaped input or of the result itself."""
    n = batch_size(ctx)
    candidates: list[Value] = [ctx.inputs.get(name) for name in ("scores", "logits", "pred", "Y", "target", "dout")]
    for arr in (*candidates, r):
        if isinstance(arr, np.ndarray) and arr.ndim == 2 and (n is None or arr.shape[0] == n):
            return int(arr.shape[1])
    return None


def number(value: Value, default: float | None = None) -> float | None:
    """A plain number from the inputs, else `default`."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    return default
