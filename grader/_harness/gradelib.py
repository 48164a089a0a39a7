"""Helpers for problem drivers. Runs inside the sandbox; imports nothing from the grader."""

from __future__ import annotations

import inspect
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

# Counts one call's correct predictions and examples from its arguments, in the statement's order.
Batch = Callable[[list[Any]], "tuple[int, int] | None"]


class TrainingLog:
    """The loss of each call of a submitted loss function, and the training accuracy of each epoch.

    An epoch ends each time the calls have seen `n_train` examples; its accuracy is the correct
    predictions over the examples of its calls (the running accuracy most training loops print).
    """

    def __init__(self, n_train: int, batch: Batch | None) -> None:
        self.n_train = max(1, int(n_train))
        self.batch = batch
        self.losses: list[float] = []
        self.accuracy: list[float] = []
        self._correct = 0
        self._seen = 0

    def record(self, out: Any, arguments: list[Any]) -> None:
        """Note one call: its loss (the first value returned) and, when countable, its correct predictions."""
        try:
            loss = float(np.asarray(out[0] if isinstance(out, tuple | list) else out, dtype=np.float64).reshape(-1)[0])
        except (TypeError, ValueError, IndexError, KeyError):
            return
        self.losses.append(loss)
        counts = None
        if self.batch is not None:
            try:
                with np.errstate(all="ignore"):
                    counts = self.batch(arguments)
            except Exception:
                counts = None
        if counts is None:
            return
        correct, size = counts
        self._correct += int(correct)
        self._seen += int(size)
        if self._seen >= self.n_train:
            self.accuracy.append(self._correct / self._seen)
            self._correct = self._seen = 0

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
        if self.accuracy:
            out["train_accuracy"] = np.asarray(self.accuracy, dtype=np.float64)
        return out


@contextmanager
def training_log(module: ModuleType, name: str, n_train: int, batch: Batch | None = None) -> Iterator[TrainingLog]:
    """Record every call of `module.name` (a submitted loss function) made while the block runs.

    The student's training finds the function by its name in its module, as it would anyway; each call
    goes through with the same arguments and returns the same result. `batch(arguments)` may count a
    call's correct predictions and examples, as `(correct, size)`, for the accuracy per epoch.
    """
    original = getattr(module, name, None)
    log = TrainingLog(n_train, batch)
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
