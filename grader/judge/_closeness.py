"""The closeness test and the error measures shown to students, safe for any float64 arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grader.judge._types import Tolerance


def as_float(value: object) -> np.ndarray | None:
    """A numeric value as a float64 array (0-d for numbers); None for anything that is not a number."""
    if isinstance(value, np.ndarray):  # a float64 array is used as it is (nothing here writes to it)
        return np.asarray(value, dtype=np.float64) if value.dtype.kind in "biuf" else None
    if isinstance(value, bool | np.bool_ | np.complexfloating):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return np.asarray(float(value), dtype=np.float64)
        except OverflowError:
            return np.asarray(np.inf if value > 0 else -np.inf)
    return None


@dataclass(frozen=True)
class Closeness:
    """How far a student's array is from the reference's, and whether that is within tolerance."""

    passed: bool
    rel_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    expected: float
    got: float


def difference(s: np.ndarray, r: np.ndarray) -> np.ndarray:
    """s - r, with 0 wherever both hold the same value (including the same NaN or Inf)."""
    same = (s == r) | (np.isnan(s) & np.isnan(r))
    return np.where(same, 0.0, s - r)


def norm_ratio(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """||a|| / max(||b||, floor), computed without overflow for huge magnitudes."""
    if a.size == 0:
        return 0.0
    top = float(np.max(np.abs(a)))
    if not np.isfinite(top):
        return float("inf")
    if top == 0.0:
        return 0.0
    scale = max(top, float(np.max(np.abs(b))) if b.size else 0.0)
    if not np.isfinite(scale):
        return 0.0
    return float(np.linalg.norm(a / scale)) / max(float(np.linalg.norm(b / scale)), floor / scale)


def measure(s: np.ndarray, r: np.ndarray, tol: Tolerance) -> Closeness:
    """The normwise error, CS231n's rel_error, the worst element, and the pass decision.

    Passes iff every element is within `atol * max(1, max|r|) + rtol * |r|` (NaN and Inf only where the
    reference has the same) and the normwise relative error is within `rel_norm`.
    """
    if r.size == 0:
        return Closeness(True, 0.0, 0.0, (), 0.0, 0.0)
    with np.errstate(all="ignore"):
        d = s - r
        if bool(np.isfinite(d).all()):  # both finite (the usual case): no NaN or Inf to take care of
            return measure_finite(s, r, d, tol)
        d = difference(s, r)
        finite_d = bool(np.isfinite(d).all())
        abs_r = np.abs(r)
        magnitude = float(abs_r.max())
        rel = norm_ratio(d, np.where(np.isfinite(r), r, 0.0))
        atol = tol.atol * max(1.0, magnitude) if np.isfinite(magnitude) else float("inf")
        abs_d = np.abs(d)
        # |s - r| <= atol + rtol * |r|, as np.allclose(equal_nan=True) decides it (d is 0 where s and r agree)
        close = finite_d and bool(((abs_d == 0) | (abs_d <= atol + tol.rtol * abs_r)).all())
        passed = close and rel <= tol.rel_norm
        denom = np.maximum(1e-8, np.abs(s) + abs_r)
        elementwise = np.where(np.isfinite(d), abs_d / np.where(np.isfinite(denom), denom, np.inf), np.inf)
        max_rel = float(np.max(np.where(d == 0, 0.0, elementwise)))
        flat = int(np.argmax(np.where(np.isfinite(d), abs_d, np.inf)))
    worst = tuple(int(i) for i in np.unravel_index(flat, d.shape))
    return Closeness(passed, rel, max_rel, worst, float(r[worst]), float(s[worst]))


def measure_finite(s: np.ndarray, r: np.ndarray, d: np.ndarray, tol: Tolerance) -> Closeness:
    """`measure` when d = s - r is finite everywhere (so are s and r): the same decision in fewer passes.

    Call it under `np.errstate(all="ignore")`, as `measure` does.
    """
    if d.size == 0:
        return Closeness(True, 0.0, 0.0, (), 0.0, 0.0)
    abs_d = np.abs(d)
    flat = int(abs_d.argmax())
    worst: tuple[int, ...] = (flat,) if d.ndim == 1 else tuple(int(i) for i in np.unravel_index(flat, d.shape))
    top = float(abs_d.flat[flat])
    if top == 0.0:  # the same values everywhere
        return Closeness(True, 0.0, 0.0, worst, float(r.flat[flat]), float(s.flat[flat]))
    abs_r = np.abs(r)
    magnitude = float(abs_r.max())
    bound = abs_r * tol.rtol
    bound += tol.atol * max(1.0, magnitude)
    close = bool(np.less_equal(abs_d, bound).all())
    scale = max(top, magnitude)
    if _SAFE_SQUARES[0] < scale < _SAFE_SQUARES[1]:  # no square of an element overflows, none that matters vanishes
        dv, rv = d.ravel(), r.ravel()
        rel = math.sqrt(float(dv @ dv)) / max(math.sqrt(float(rv @ rv)), 1e-12)
    else:
        rel = norm_ratio(d, r)
    denom = np.abs(s, out=np.empty(s.shape))  # an array even for 0-d s: the steps below work in place
    denom += abs_r
    np.maximum(denom, 1e-8, out=denom)
    np.divide(abs_d, denom, out=denom)
    max_rel = float(denom.max())
    return Closeness(close and rel <= tol.rel_norm, rel, max_rel, worst, float(r.flat[flat]), float(s.flat[flat]))


# Magnitudes whose squares (and sums of up to 2**60 of them) stay normal float64 numbers.
_SAFE_SQUARES = (1e-100, 1e100)


def agrees(s: np.ndarray, other: np.ndarray, tol: Tolerance) -> bool:
    """The same closeness test used for scoring, for comparing against variants and alternatives."""
    if s.shape != other.shape:
        return False
    if not np.array_equal(np.isfinite(s), np.isfinite(other)):
        return False
    return measure(s, other, tol).passed
