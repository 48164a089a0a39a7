"""Likely causes of a trained model that misses its accuracy bar, read from its predictions and loss history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.judge._messages import num

# A model whose accuracy is under this fraction of chance (1/K) has learned the labels backwards: random
# weights sit near chance, and only a model pushed away from the right answers lands far below it.
BACKWARDS = 0.5

UPHILL = (
    "The update goes uphill: subtract the gradient (w -= lr * dw), do not add it. Gradient ascent makes the "
    "loss grow and pushes every prediction away from its label."
)
# A loss that climbs is also what a learning rate too large does (each step overshoots): both are said, so that a
# student whose update subtracts the gradient already is not sent looking for a sign that is right.
CLIMBS = (
    "The update goes uphill: the loss in your training history grows. Either it adds the gradient (subtract the "
    "gradient: w -= lr * dw), or the learning rate is so large that each step overshoots the minimum."
)


def training_causes(pred: np.ndarray, labels: np.ndarray, history: Sequence[float] | None) -> list[str]:
    """Gradient ascent (accuracy far below chance, or a loss history that rises) and a model stuck on one class."""
    classes = np.unique(labels)
    if pred.size == 0 or classes.size < 2:
        return []
    accuracy = float(np.mean(pred == labels))
    chance = 1.0 / classes.size
    out = []
    if accuracy < BACKWARDS * chance:
        out.append(
            f"{UPHILL} Here accuracy {num(accuracy)} is far below chance ({num(chance)} for {classes.size} classes)."
        )
    elif _rises(history):
        out.append(CLIMBS)
    values = np.unique(pred)
    if values.size == 1:
        out.append(
            f"Every prediction is class {int(values[0])}: the model did not learn. Look for weights that overflow "
            "to NaN or inf (a learning rate too large, or an update that adds the gradient instead of subtracting "
            "it), or an update that never changes the weights."
        )
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
