"""Helpers for problem drivers. Runs inside the sandbox; imports nothing from the grader."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "SubmissionTypeError",
    "describe",
    "expect_dict",
    "expect_tuple",
    "numeric_gradient",
]


class SubmissionTypeError(Exception):
    """A submitted function returned the wrong kind of value."""


def describe(value: Any) -> str:
    """A short description of a value's type and shape, for messages."""
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:8])
        return f"a dict with keys [{keys}]"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def expect_tuple(value: Any, n: int, what: str) -> tuple[Any, ...]:
    """Return `value` as a tuple of length `n`, or raise SubmissionTypeError naming `what`."""
    if isinstance(value, tuple | list) and len(value) == n:
        return tuple(value)
    raise SubmissionTypeError(f"{what} must return a tuple of {n} values; it returned {describe(value)}")


def expect_dict(value: Any, keys: Iterable[str], what: str) -> dict[str, Any]:
    """Return `value` if it is a dict with exactly `keys`, else raise SubmissionTypeError."""
    wanted = list(keys)
    if not isinstance(value, dict):
        raise SubmissionTypeError(f"{what} must return a dict with keys {wanted}; it returned {describe(value)}")
    missing = [k for k in wanted if k not in value]
    extra = [k for k in value if k not in wanted]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {[str(k) for k in extra]}")
        raise SubmissionTypeError(f"{what} must return a dict with keys {wanted}: {', '.join(parts)}")
    return dict(value)


def numeric_gradient(
    f: Callable[[], Any], x: np.ndarray, dout: np.ndarray | None = None, h: float = 1e-5
) -> np.ndarray:
    """Centred differences of sum(f() * dout) (or of scalar f()) with respect to `x`.

    `f` takes no arguments and reads `x`, which is perturbed in place and restored.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numeric_gradient needs a float64 ndarray to perturb")
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = _objective(f(), dout)
        flat[i] = old - h
        minus = _objective(f(), dout)
        flat[i] = old
        gflat[i] = (plus - minus) / (2.0 * h)
    return grad


def _objective(value: Any, dout: np.ndarray | None) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if dout is None:
        return float(arr.sum())
    return float(np.sum(arr * dout))
