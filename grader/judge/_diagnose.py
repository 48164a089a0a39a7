"""Diagnosis: what the student probably did, from the shape and the pattern of the error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from grader.judge._compare import Context

PURE_SCALE = 1e-6  # residual after scaling below which an error is "only a scale factor"


def diagnose_shape(path: str, want: tuple[int, ...], got: tuple[int, ...], ctx: Context) -> str:
    """A sentence naming a recognisable shape mistake, or ''."""
    if len(want) == 2 and got == want[::-1]:
        return "It looks transposed."
    if ctx.pad and len(want) == 4 and got[:2] == want[:2] and got[2:] == (want[2] + 2 * ctx.pad, want[3] + 2 * ctx.pad):
        return "That is the padded shape: crop the padding (pad on each side) out of the gradient before returning it."
    if tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1):
        return f"It has {'an extra' if len(got) > len(want) else 'a missing'} axis of length 1: reshape it to {want}."
    if int(np.prod(got)) == int(np.prod(want)):
        return f"It has the right number of elements: reshape it to {want}."
    return ""


def _batch_size(ctx: Context, r: np.ndarray) -> int | None:
    if ctx.batch_size:
        return ctx.batch_size
    for arr in (ctx.labels, ctx.x):
        if isinstance(arr, np.ndarray) and arr.ndim >= 1:
            return int(arr.shape[0])
    first = next((v for v in ctx.inputs.values() if isinstance(v, np.ndarray) and v.ndim >= 1), None)
    return int(first.shape[0]) if first is not None else (int(r.shape[0]) if r.ndim else None)


def _classes(ctx: Context, r: np.ndarray) -> int | None:
    if ctx.num_classes:
        return ctx.num_classes
    return int(r.shape[-1]) if r.ndim >= 2 else None


def scale_candidates(ctx: Context, r: np.ndarray) -> list[tuple[float, str]]:
    """Factors a student's result is commonly off by, each with its usual cause."""
    out: list[tuple[float, str]] = [
        (-1.0, "k = -1: the sign is flipped"),
        (2.0, "k = 2: twice the reference (a factor 2 too many, e.g. from a derivative of a square)"),
        (0.5, "k = 1/2: half the reference (a missing factor 2, or an extra 1/2)"),
    ]
    n, k = _batch_size(ctx, r), _classes(ctx, r)
    if n and n > 1:
        out += [
            (float(n), f"k = N = {n}: summed instead of averaged over the batch (missing 1/N)"),
            (1.0 / n, f"k = 1/N = 1/{n}: averaged where it should be summed, or divided by N twice"),
        ]
    if k and k > 1 and k != n:
        out += [
            (float(k), f"k = K = {k}: averaged over N only; the mean runs over all N*K elements"),
            (1.0 / k, f"k = 1/K = 1/{k}: divided by the number of outputs K once too often"),
        ]
    if ctx.p_keep and 0 < ctx.p_keep < 1:
        p = ctx.p_keep
        out += [
            (p, f"k = p_keep = {p:g}: the kept units were not rescaled by 1/p_keep"),
            (p * p, f"k = p_keep**2 = {p * p:g}: multiplied by p_keep where you should divide by it"),
            (1.0 / p, f"k = 1/p_keep = {1 / p:g}: rescaled by 1/p_keep where none is needed"),
        ]
    return out


def diagnose_close(
    path: str, top: str, s: np.ndarray, r: np.ndarray | None, ctx: Context, numgrad: object
) -> list[str]:
    """Every cause the error's pattern points to, most specific first."""
    out: list[str] = []
    if r is not None and r.shape == s.shape:
        out += _scale(s, r, ctx)
        if s.ndim == 0:
            out += _offset(s, r, ctx)
        else:
            out += _regions(s, r, ctx)
        out += _batchnorm(top, s, ctx)
    out += _self_consistency(path, top, s, numgrad, ctx)
    return out


def _scale(s: np.ndarray, r: np.ndarray, ctx: Context) -> list[str]:
    rr = float(np.vdot(r, r))
    if rr == 0.0:
        return []
    k = float(np.vdot(s, r)) / rr
    residual = float(np.linalg.norm(s - k * r)) / max(float(np.linalg.norm(s)), 1e-300)
    if residual > PURE_SCALE or abs(k - 1.0) < 1e-9:
        return []
    for factor, cause in scale_candidates(ctx, r):
        if abs(k - factor) <= 1e-6 * max(1.0, abs(factor)):
            return [f"Your result is exactly the reference times {cause}."]
    if s.ndim == 0:
        return [f"Your value is {k:.6g} times the reference's."]
    return [
        f"Your result is exactly {k:.6g} times the reference (a pure scale error: look for a missing or extra factor)."
    ]


def _offset(s: np.ndarray, r: np.ndarray, ctx: Context) -> list[str]:
    offset = float(s) - float(r)
    delta = ctx.inputs.get("delta", 1.0)
    delta = float(delta) if isinstance(delta, int | float) and not isinstance(delta, bool) else 1.0
    if "svm" in ctx.function and abs(offset - delta) < 1e-9 * max(1.0, abs(delta)):
        return [f"The loss is too large by exactly delta = {delta:g}: the margins must skip j = y_i (the true class)."]
    return [f"Your value differs from the reference by {offset:.6g} (a constant offset?)."]


def _regions(s: np.ndarray, r: np.ndarray, ctx: Context) -> list[str]:
    scale = max(float(np.max(np.abs(r))), 1e-12)
    wrong = np.abs(s - r) > 1e-7 * scale
    if not wrong.any() or wrong.all():
        return []
    out = _label_regions(wrong, ctx)
    x = ctx.x
    if isinstance(x, np.ndarray) and x.shape == s.shape:
        if not wrong[x >= 0].any():
            out.append(
                "Only entries where the input x < 0 are wrong: check the negative side (the mask or the slope there)."
            )
        elif not wrong[x <= 0].any():
            out.append("Only entries where the input x > 0 are wrong: check the positive side of the mask.")
    out += _batch_regions(wrong)
    return out


def _label_regions(wrong: np.ndarray, ctx: Context) -> list[str]:
    y = ctx.labels
    if not isinstance(y, np.ndarray) or y.ndim != 1 or wrong.shape[0] != y.shape[0]:
        return []
    out = []
    rows = np.asarray(wrong.reshape(wrong.shape[0], -1).any(axis=1), dtype=bool)
    if set(np.unique(y).tolist()) <= {0, 1}:
        for value in (0, 1):
            if rows[y == value].all() and not rows[y != value].any():
                out.append(f"Only the rows with y = {value} are wrong: check the y = {value} term of the loss.")
    if wrong.ndim == 2 and np.issubdtype(y.dtype, np.integer) and y.max(initial=0) < wrong.shape[1]:
        true = np.zeros(wrong.shape, dtype=bool)
        true[np.arange(y.size), y] = True
        if not wrong[~true].any():
            out.append("Only the true-class entries [i, y_i] are wrong: check the -1 at the true class.")
        elif not wrong[true].any():
            out.append(
                "Every entry except the true class is wrong: the true-class column is right, the others are not."
            )
    return out


def _batch_regions(wrong: np.ndarray) -> list[str]:
    out = []
    rows = np.flatnonzero(wrong.reshape(wrong.shape[0], -1).any(axis=1))
    if wrong.shape[0] > 1 and rows.size == 1:
        out.append(f"Only sample {int(rows[0])} of the batch is wrong.")
    if wrong.ndim == 2 and wrong.shape[1] > 1:
        cols = np.flatnonzero(wrong.any(axis=0))
        if cols.size == 1:
            out.append(f"Only column {int(cols[0])} is wrong.")
    if wrong.ndim == 4 and min(wrong.shape[2:]) >= 3:
        inner = wrong[:, :, 1:-1, 1:-1]
        if not inner.any():
            out.append("Only the border of the output is wrong: check the zero padding.")
    return out


def _batchnorm(top: str, s: np.ndarray, ctx: Context) -> list[str]:
    x = ctx.x
    if not (ctx.batchnorm and top == "dx" and isinstance(x, np.ndarray) and x.shape == s.shape and x.ndim == 2):
        return []
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + ctx.eps)
    size = max(float(np.linalg.norm(s)), 1e-12) * np.sqrt(x.shape[0])
    out = []
    if float(np.linalg.norm(s.sum(axis=0))) > 1e-6 * size:
        out.append(
            "A correct batch-norm dx has zero column sums; yours does not: the path through the batch mean is missing."
        )
    if float(np.linalg.norm((s * xhat).sum(axis=0))) > 1e-6 * size:
        out.append(
            "A correct batch-norm dx is orthogonal to x_hat in each column; yours is not: "
            "the path through the batch variance is missing or wrong."
        )
    return out


def _self_consistency(path: str, top: str, s: np.ndarray, numgrad: object, ctx: Context) -> list[str]:
    if not isinstance(numgrad, dict) or top not in numgrad:
        return []
    from grader.judge._compare import _lookup

    numeric = _lookup(numgrad, path, top)
    if not isinstance(numeric, np.ndarray) or numeric.shape != s.shape or not np.isfinite(numeric).all():
        return []
    n = numeric.astype(np.float64)
    rel = float(np.linalg.norm(s - n)) / max(float(np.linalg.norm(s)), float(np.linalg.norm(n)), 1e-12)
    if rel < 1e-5:
        return [
            f"Your {path} agrees with the numeric gradient of your own forward pass (relative error {rel:.1e}): "
            "your backward is consistent, so the difference comes from the forward pass (or what it caches)."
        ]
    return [
        f"Your {path} disagrees with the numeric gradient of your own forward pass (relative error {rel:.2g}): "
        "the bug is in your backward pass."
    ]
