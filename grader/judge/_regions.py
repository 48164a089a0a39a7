"""Errors confined to a region: one label class, the true-class entries, one sign of x, one row or column, a border."""

from __future__ import annotations

import numpy as np

from grader.judge._infer import batch_size
from grader.judge._types import Cause, Context, Tier

Said = tuple[str, str]  # (kind, text): which region, and the message

CHANCE = 0.05  # a region is named only when the wrong entries would all fall in it by luck less often than this
LOOP = "look for a loop over the batch that skips, repeats or overwrites it."


def wrong_entries(s: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Where s and r differ by more than rounding, relative to the larger of the two arrays."""
    scale = max(float(np.max(np.abs(r))), float(np.max(np.abs(s))), 1e-300)
    wrong: np.ndarray = np.abs(s - r) > 1e-7 * scale
    return wrong


def region_diagnosis(path: str, s: np.ndarray, r: np.ndarray, ctx: Context) -> list[Cause]:
    """Every region the difference is confined to, most specific first."""
    if s.ndim == 0 or s.size < 2:
        return []
    wrong = wrong_entries(s, r)
    if not wrong.any() or wrong.all():
        return []
    out = _label_regions(path, wrong, ctx) + _sign_regions(path, wrong, ctx)
    out += _border(path, wrong, ctx) + _row_or_column(path, wrong, ctx)
    if not out:  # the sign of x already says where ReLU's mask belongs
        out = _reference_zero(path, wrong, r)
    return [Cause.of(text, Tier.REGION, path, kind=f"region:{kind}") for kind, text in out]


def _labels(ctx: Context, wrong: np.ndarray) -> np.ndarray | None:
    y = ctx.labels
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.size == wrong.shape[0] and y.dtype.kind in "biuf"):
        return None
    if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
        return None
    return y.astype(np.int64)


def _label_regions(path: str, wrong: np.ndarray, ctx: Context) -> list[Said]:
    y = _labels(ctx, wrong)
    if y is None:
        return []
    out = _true_class(path, wrong, y)
    values = set(np.unique(y).tolist())
    if values <= {0, 1} or values <= {-1, 1}:
        rows = np.asarray(wrong.reshape(wrong.shape[0], -1).any(axis=1))
        for value in sorted(values):
            inside = y == value
            if rows.any() and not rows[~inside].any() and (~inside).any() and not _by_chance(rows, inside):
                out.append((f"label {value}", _one_class_message(path, value)))
    return out


def _one_class_message(path: str, value: int) -> str:
    terms = {0: "the (1 - y) * log(1 - p) term", 1: "the y * log(p) term"}
    term = terms.get(value, "how y = -1 enters (it is -1, not 0)")
    return f"Only the rows of {path} with y = {value} are wrong: check {term}."


def _true_class(path: str, wrong: np.ndarray, y: np.ndarray) -> list[Said]:
    if wrong.ndim != 2 or y.min() < 0 or y.max() >= wrong.shape[1] or wrong.shape[1] < 2:
        return []
    true = np.zeros(wrong.shape, dtype=bool)
    true[np.arange(y.size), y] = True
    if not wrong[~true].any() and not _by_chance(wrong, true):
        return [
            (
                "true class",
                f"Only the true-class entries {path}[i, y_i] are wrong: check the term only the true class gets "
                "(softmax: subtract 1 at the true class; SVM: minus the number of positive margins).",
            )
        ]
    if not wrong[true].any():
        return [
            (
                "other classes",
                f"Every entry of {path} except the true-class entries [i, y_i] is wrong: "
                "the true class is right, so check the terms for the other classes j != y_i.",
            )
        ]
    return []


def _sign_regions(path: str, wrong: np.ndarray, ctx: Context) -> list[Said]:
    x = ctx.x
    if not isinstance(x, np.ndarray) or x.shape != wrong.shape:
        return []
    if not wrong[x >= 0].any() and not _by_chance(wrong, x < 0):
        return [
            (
                "x < 0",
                f"Only the entries of {path} where x < 0 are wrong: check the negative side "
                "(the mask must come from the input x, and LeakyReLU keeps a slope alpha there).",
            )
        ]
    if not wrong[x <= 0].any() and not _by_chance(wrong, x > 0):
        return [("x > 0", f"Only the entries of {path} where x > 0 are wrong: check the positive side of the mask.")]
    return []


def _reference_zero(path: str, wrong: np.ndarray, r: np.ndarray) -> list[Said]:
    """Wrong only where the reference is exactly 0: entries a mask must zero are let through."""
    zero = r == 0
    if not zero.any() or zero.all() or wrong[~zero].any() or _by_chance(wrong, zero):
        return []
    return [
        (
            "reference zero",
            f"Your {path} is wrong only where the reference's is exactly 0 ({int(wrong.sum())} of those "
            f"{int(zero.sum())} entries; every other entry is right): these entries must be zeroed, so a mask is "
            "missing or not applied there (dropout's dropped units, ReLU's x <= 0, the entries of a pooling "
            "window that are not its maximum).",
        )
    ]


def _by_chance(wrong: np.ndarray, region: np.ndarray) -> bool:
    """Whether the wrong entries could all fall in `region` by luck: a few wrong entries in a region holding
    half the array say nothing about it (each lands there with probability region.mean())."""
    return float(region.mean()) ** int(wrong.sum()) >= CHANCE


def _row_or_column(path: str, wrong: np.ndarray, ctx: Context) -> list[Said]:
    out: list[Said] = []
    rows = np.flatnonzero(wrong.reshape(wrong.shape[0], -1).any(axis=1))
    if wrong.shape[0] > 1 and rows.size == 1:
        i = int(rows[0])
        if wrong.shape[0] == batch_size(ctx):
            out.append(("one sample", f"Only sample {i} of the batch ({path}[{i}]) is wrong: {LOOP}"))
        else:
            out.append(("one row", f"Only row {i} of {path} is wrong: {LOOP}"))
    if wrong.ndim == 2 and wrong.shape[1] > 1:
        cols = np.flatnonzero(wrong.any(axis=0))
        if cols.size == 1:
            j = int(cols[0])
            out.append(("one column", f"Only column {j} of {path} ({path}[:, {j}]) is wrong."))
    return out


def _border(path: str, wrong: np.ndarray, ctx: Context) -> list[Said]:
    pad = ctx.pad or 1
    if wrong.ndim != 4 or min(wrong.shape[2:]) <= 2 * pad:
        return []
    if wrong[:, :, pad:-pad, pad:-pad].any():
        return []
    return [
        (
            "border",
            f"Only the border of width {pad} of each spatial map of {path} is wrong: "
            "the interior is right, so check the zero padding (pad) at the edges.",
        )
    ]
