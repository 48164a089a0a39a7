"""Checks that need no reference: batch-norm invariants of dx, and agreement with the student's own numeric gradient."""

from __future__ import annotations

import numpy as np

from grader.judge._closeness import norm_ratio
from grader.judge._messages import num
from grader.judge._types import Cause, Context, Tier

OWN_FORWARD = 1e-5  # normwise agreement with a centred-difference gradient (h = 1e-5) of a smooth function


def batchnorm_diagnosis(path: str, top: str, s: np.ndarray, ctx: Context) -> list[Cause]:
    """A correct dx has zero column sums (mean path) and zero <dx, x_hat> per column (variance path)."""
    x = ctx.x
    if not (ctx.batchnorm and top == "dx" and isinstance(x, np.ndarray) and x.shape == s.shape and x.ndim == 2):
        return []
    x = x.astype(np.float64)
    var = x.var(axis=0)
    xhat = (x - x.mean(axis=0)) / np.sqrt(var + ctx.eps)
    # Cosines per column, so the test does not depend on the size of dout; with eps > 0 even the correct dx
    # is only orthogonal to x_hat up to eps / (var + eps).
    size = np.maximum(np.linalg.norm(s, axis=0), 1e-300)
    sums = np.abs(s.sum(axis=0)) / (size * np.sqrt(x.shape[0]))
    cosines = np.abs((s * xhat).sum(axis=0)) / (size * np.maximum(np.linalg.norm(xhat, axis=0), 1e-300))
    out = []
    if bool((sums > 1e-6).any()):
        text = (
            f"A correct batch-norm {path} has zero column sums; yours does not: "
            "the mean path is missing (the gradient through the batch mean mu)."
        )
        out.append(Cause.of(text, Tier.INVARIANT, path, kind="batchnorm:mean path"))
    if bool((cosines > 1e-6 + 10 * ctx.eps / (var + ctx.eps)).any()):
        text = (
            f"A correct batch-norm {path} has zero <dx, x_hat> in every column; yours does not: "
            "the variance path is missing or wrong (the gradient through the batch variance)."
        )
        out.append(Cause.of(text, Tier.INVARIANT, path, kind="batchnorm:variance path"))
    return out


def numgrad_diagnosis(path: str, s: np.ndarray, r: np.ndarray, numeric: object) -> list[Cause]:
    """Compare the student's gradient with the numeric gradient of their own forward pass."""
    if not isinstance(numeric, np.ndarray) or numeric.dtype.kind not in "iuf" or numeric.shape != s.shape:
        return []
    n = numeric.astype(np.float64)
    if not np.isfinite(n).all() or not np.isfinite(s).all():
        return []
    mine = _relative(s, n)
    if mine <= OWN_FORWARD:
        text = (
            f"Your {path} agrees with the numeric gradient of your own forward pass (rel error {num(mine)}): "
            "your backward is consistent with your own forward, so the difference comes from the forward "
            "(or the inputs it caches)."
        )
        return [Cause.of(text, Tier.OWN_FORWARD, path, order=1, kind="own-forward:agrees")]
    if not n.any() and np.isfinite(r).all() and r.any():
        text = (
            f"The numeric gradient of your own forward pass for {path} is exactly 0 everywhere: your forward pass "
            "does not use this parameter at all (the reference's does). Check that the forward uses it (a bias "
            "added, a weight multiplied)."
        )
        return [Cause.of(text, Tier.OWN_FORWARD, path, kind="own-forward:parameter unused")]
    if _relative(n, r) <= OWN_FORWARD * 10:
        text = (
            f"Your {path} disagrees with the numeric gradient of your own forward pass (rel error {num(mine)}): "
            "the bug is in the backward pass. The numeric gradient of your forward matches the reference's "
            "gradient: your forward is right."
        )
        return [Cause.of(text, Tier.OWN_FORWARD, path, kind="own-forward:disagrees, forward right")]
    # Both differ: the backward does not follow the student's own forward, and that forward is not the
    # reference's either, so which one holds the mistake is not known (often the forward: fix it first).
    text = (
        f"Your {path} disagrees with the numeric gradient of your own forward pass (rel error {num(mine)}), "
        "and that numeric gradient is not the reference's either: your forward pass is wrong too, so fix the "
        "forward first, then check the backward against it."
    )
    return [Cause.of(text, Tier.OWN_FORWARD, path, kind="own-forward:disagrees, forward wrong")]


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    bigger = a if float(np.max(np.abs(a), initial=0.0)) >= float(np.max(np.abs(b), initial=0.0)) else b
    return norm_ratio(a - b, bigger)
