"""Likely causes of a trained model that misses its accuracy bar, read from its predictions and loss history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.judge._messages import num
from grader.judge._types import Cause, Tier

# A model whose accuracy is under this fraction of chance (1/K) has learned the labels backwards: random
# weights sit near chance, and only a model pushed away from the right answers lands far below it.
BACKWARDS = 0.5

# A model far below chance, or a loss that climbs, is what an update that adds the gradient does, and also what a
# learning rate so large that each step overshoots does (seen on the pack's problems: accuracy 0.10 and 0.13 with
# a diverging rate). Both are said, so that a student whose update already subtracts the gradient is not sent
# looking for a sign that is right.
UPHILL = (
    "Either the update adds the gradient (subtract it: w -= lr * dw), or the learning rate is so large that each "
    "step overshoots the minimum."
)


def training_causes(pred: np.ndarray, labels: np.ndarray, history: Sequence[float] | None) -> list[str]:
    """Gradient ascent (accuracy far below chance, or a loss history that rises) and a model stuck on one class."""
    return [c.text for c in trained_causes(pred, labels, history)]


def trained_causes(pred: np.ndarray, labels: np.ndarray, history: Sequence[float] | None) -> list[Cause]:
    """`training_causes` with each cause's kind."""
    classes = np.unique(labels)
    if pred.size == 0 or classes.size < 2:
        return []
    accuracy = float(np.mean(pred == labels))
    chance = 1.0 / classes.size
    out: list[Cause] = []
    if accuracy < BACKWARDS * chance or _rises(history):
        why = (
            f"accuracy {num(accuracy)} is far below chance ({num(chance)} for {classes.size} classes)"
            if accuracy < BACKWARDS * chance
            else "the loss in your training history grows"
        )
        text = f"The update goes uphill: {why}. {UPHILL}"
        out.append(Cause(text, Tier.FORMULA, text, kind="training:uphill"))
    values = np.unique(pred)
    if values.size == 1:
        text = (
            f"Every prediction is class {int(values[0])}: the model did not learn. Look for weights that overflow "
            "to NaN or inf (a learning rate too large, or an update that adds the gradient instead of subtracting "
            "it), or an update that never changes the weights."
        )
        out.append(Cause(text, Tier.FORMULA, text, kind="training:one-class"))
    return out


def _rises(history: Sequence[float] | None) -> bool:
    """A history that can only be a loss (above 1 or not finite: no accuracy is) and that climbs from its start."""
    if not history or len(history) < 3:
        return False
    h = np.asarray(history, dtype=np.float64)
    if not np.isfinite(h[0]) or h[0] <= 0:
        return False
    if not np.isfinite(h[-1]):
        return True  # a loss that overflowed to inf or NaN went uphill until it could not
    steps = np.diff(h)
    return bool(h[-1] > max(2 * h[0], 1.0) and float(np.mean(steps > 0)) >= 0.75)
