"""Helpers for problem drivers. Runs inside the sandbox; imports nothing from the grader."""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "SubmissionTypeError",
    "TrainingLog",
    "describe",
    "expect_dict",
    "expect_tuple",
    "numeric_gradient",
    "training_log",
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


# At most this many loss values travel back; a longer run is reported as means over blocks of steps.
MAX_STEPS = 5000
# The time that counting correct predictions may add to a training (a second, plus this share of the time
# the training has taken): past it, calls go uncounted until the training has caught up.
OVERHEAD_SECONDS = 1.0
OVERHEAD_SHARE = 0.05

# The predicted labels of one call's batch, from its arguments (in the statement's order).
Predict = Callable[[list[Any]], Any]


class TrainingLog:
    """The loss of each call of a submitted loss function, and the training accuracy of each epoch.

    An epoch ends each time the calls have seen `n_train` examples; its accuracy is the correct
    predictions over the examples of its counted calls (the running accuracy most training loops
    print). Predicting costs time that the student's limit pays for, so past an epoch's first call,
    calls are counted only while that time stays within OVERHEAD_SECONDS plus OVERHEAD_SHARE of the
    training's time (an epoch whose predictions all failed has NaN, a gap in the curve).
    """

    def __init__(self, n_train: int, labels: int, predict: Predict | None) -> None:
        self.n_train = max(1, int(n_train))
        self.labels = labels
        self.predict = predict
        self.losses: list[float] = []
        self.accuracy: list[float] = []
        self._started = time.perf_counter()
        self._spent = 0.0
        self._correct = self._counted = self._seen = 0

    def record(self, out: Any, arguments: list[Any]) -> None:
        """Note one call: its loss (the first value returned) and, within the time allowed, its correct predictions."""
        try:
            loss = float(np.asarray(out[0] if isinstance(out, tuple | list) else out, dtype=np.float64).reshape(-1)[0])
            y = np.asarray(arguments[self.labels]).reshape(-1)
        except (TypeError, ValueError, IndexError, KeyError):
            return
        self.losses.append(loss)
        self._count(arguments, y)
        self._seen += y.size
        if self._seen >= self.n_train:
            self.accuracy.append(self._correct / self._counted if self._counted else math.nan)
            self._correct = self._counted = self._seen = 0

    def _count(self, arguments: list[Any], y: np.ndarray) -> None:
        allowed = OVERHEAD_SECONDS + OVERHEAD_SHARE * (time.perf_counter() - self._started)
        if self.predict is None or (self._counted and self._spent > allowed):
            return
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                pred = np.asarray(self.predict(arguments)).reshape(-1)
            if pred.shape == y.shape:
                self._correct += int(np.sum(pred == y))
                self._counted += y.size
        except Exception:
            pass  # a prediction we cannot make is no reason to disturb the student's training
        finally:
            self._spent += time.perf_counter() - start

    def history(self) -> dict[str, Any]:
        """The history a driver returns: loss per step (block means past MAX_STEPS), accuracy per epoch."""
        losses = np.asarray(self.losses, dtype=np.float64)
        every = max(1, -(-losses.size // MAX_STEPS))
        if every > 1:
            starts = np.arange(0, losses.size, every)
            losses = np.add.reduceat(losses, starts) / np.diff(np.append(starts, losses.size))
        out: dict[str, Any] = {
            "loss": losses,
            "per": {"loss": "step", "train_accuracy": "epoch"},
            "every": {"loss": every},
        }
        if any(math.isfinite(a) for a in self.accuracy):
            out["train_accuracy"] = np.asarray(self.accuracy, dtype=np.float64)
        return out


@contextmanager
def training_log(
    module: ModuleType, name: str, n_train: int, *, labels: int, predict: Predict | None = None
) -> Iterator[TrainingLog]:
    """Record every call of `module.name` (a submitted loss function) made while the block runs.

    The student's training finds the function by its name in its module, as it would anyway; each call
    goes through with the same arguments and returns the same result. `labels` is the position of the
    labels among the function's arguments (it counts the examples toward an epoch); `predict(arguments)`
    may give the batch's predicted labels, for the training accuracy per epoch.
    """
    original = getattr(module, name, None)
    log = TrainingLog(n_train, labels, predict)
    if not callable(original):
        yield log
        return

    try:
        signature: inspect.Signature | None = inspect.signature(original)
    except (TypeError, ValueError):
        signature = None

    def watched(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        log.record(out, _in_order(signature, args, kwargs))
        return out

    setattr(module, name, watched)
    try:
        yield log
    finally:
        setattr(module, name, original)


def _in_order(signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """A call's arguments in the function's parameter order, defaults filled in (positional only if unbindable)."""
    if signature is None:
        return list(args)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return list(args)
    bound.apply_defaults()
    return list(bound.arguments.values())
