"""A training test's history: what a driver reports, how it is stored, and the series it is read back as.

A driver may report a history as one list of losses (per step), or as a dict of named series, such as
`{"loss": [...], "train_accuracy": [...], "val_acc_history": [...]}`, with an optional `"per"` (`"epoch"` or
`"step"`, for every series or as a dict per series) and `"every"` (how many steps one value covers). A
series whose name speaks of accuracy (`acc`) is an accuracy, any other a loss; without `"per"`, a loss is
per step and an accuracy per epoch (the habit of CS231n's Solver). The stored form is a list for a lone
loss series and `{name: {"per", "every", "values"}}` otherwise; `history_series` reads both back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from grader.values import Value

MAX_SERIES = 8
MAX_POINTS = 10_000  # a longer series is kept as means over blocks of steps
_NAME = re.compile(r"[^A-Za-z0-9_ .-]")


@dataclass(frozen=True)
class Series:
    """One curve of a history: its values (NaN where a value was not finite), x unit and stride."""

    name: str
    kind: Literal["loss", "accuracy"]
    per: Literal["epoch", "step"]
    every: int
    values: list[float]

    @property
    def label(self) -> str:
        """The name a reader sees: `train_acc_history` reads `train accuracy`, `val_acc` `validation accuracy`."""
        words = [w for w in re.split(r"[_\s]+", self.name.lower()) if w and w not in ("history", "hist")]
        spelled = {"acc": "accuracy", "val": "validation", "valid": "validation", "tr": "train"}
        return " ".join(spelled.get(w, w) for w in words) or self.kind


def training_history(value: Value) -> list[float] | dict[str, Any] | None:
    """The stored form of what a driver reported as `history`, or None when it is not a history."""
    lone = _numbers(value)
    if lone is not None:
        values, every = _thinned(lone, 1)
        return values if every == 1 else {"loss": {"per": "step", "every": every, "values": values}}
    if not isinstance(value, dict):
        return None
    per, every_given = value.get("per"), value.get("every")
    out: dict[str, Any] = {}
    for raw_name, raw in value.items():
        if raw_name in ("per", "every") or len(out) >= MAX_SERIES:
            continue
        numbers = _numbers(raw)
        if numbers is None or not numbers:
            continue
        name = _NAME.sub("", str(raw_name))[:60] or f"series {len(out) + 1}"
        stride = _stride(every_given.get(raw_name) if isinstance(every_given, dict) else every_given)
        values, stride = _thinned(numbers, stride)
        out[name] = {"per": _per(name, per.get(raw_name) if isinstance(per, dict) else per), "every": stride}
        out[name]["values"] = values
    return out or None


def history_series(stored: Any) -> list[Series]:
    """The series of a stored history (either form; None in stored JSON is a value that was not finite)."""
    if isinstance(stored, list):
        values = _floats(stored)
        return [Series("loss", "loss", "step", 1, values)] if values else []
    if not isinstance(stored, Mapping):
        return []
    out = []
    for name, record in stored.items():
        if not isinstance(record, Mapping):
            continue
        values = _floats(record.get("values"))
        if not values:
            continue
        per: Literal["epoch", "step"] = "epoch" if record.get("per") == "epoch" else "step"
        every = record.get("every")
        stride = every if isinstance(every, int) and not isinstance(every, bool) and every >= 1 else 1
        out.append(Series(str(name), _kind(str(name)), per, stride, values))
    return out


def loss_values(stored: Any) -> list[float] | None:
    """The first loss series of a stored history, for the diagnosis of a model that trained uphill."""
    return next((s.values for s in history_series(stored) if s.kind == "loss"), None)


def _kind(name: str) -> Literal["loss", "accuracy"]:
    return "accuracy" if "acc" in name.lower() else "loss"


def _per(name: str, given: Value) -> Literal["epoch", "step"]:
    if given in ("epoch", "step"):
        return "epoch" if given == "epoch" else "step"
    return "epoch" if _kind(name) == "accuracy" else "step"


def _stride(value: Value) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 1:
        return min(int(value), 10**9)
    return 1


def _numbers(value: Value) -> list[float] | None:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "biuf":
        items: list[Any] = value.tolist()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return None
    return [float(v) if math.isfinite(v) else math.nan for v in items if _number(v)]


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _thinned(values: list[float], every: int) -> tuple[list[float], int]:
    """At most MAX_POINTS values: means over blocks of k values (NaN where a block holds one)."""
    if len(values) <= MAX_POINTS:
        return values, every
    k = -(-len(values) // MAX_POINTS)
    arr = np.asarray(values, dtype=np.float64)
    starts = np.arange(0, arr.size, k)
    means = np.add.reduceat(arr, starts) / np.diff(np.append(starts, arr.size))
    return [float(v) if math.isfinite(v) else math.nan for v in means], every * k


def _floats(values: Any) -> list[float]:
    if not isinstance(values, list):
        return []
    return [float(v) if _number(v) and math.isfinite(v) else math.nan for v in values if v is None or _number(v)]
