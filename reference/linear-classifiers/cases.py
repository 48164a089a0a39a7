"""Test-case generators for linear-classifiers.

scores (N, C) float64 and labels y (N,) int64 in 0..C-1. For the SVM, every margin
s_j - s_{y_i} + delta (j != y_i) is kept at least 0.05 away from 0, the kink of the
hinge, so the gradient is unambiguous and centred differences are exact.
`scale` multiplies the scores (300 makes logits of several hundreds); `offset`
adds a constant to every score (all logits large and positive).
"""

import numpy as np


def _labels(rng, n, c):
    y = rng.integers(0, c, n).astype(np.int64)
    if n >= c:
        y[:c] = rng.permutation(c)  # every class present
    return y


def scores(rng, n=5, c=4, scale=1.0, offset=0.0, numgrad=True):
    s = scale * rng.standard_normal((n, c)) + offset
    return {"scores": s, "y": _labels(rng, n, c), "numgrad": numgrad}


def svm_scores(rng, n=6, c=4, scale=1.0, delta=None, numgrad=True):
    """delta=None: the driver calls svm_loss(scores, y) and relies on the default delta = 1.0."""
    d = 1.0 if delta is None else float(delta)
    s = scale * rng.standard_normal((n, c))
    y = _labels(rng, n, c)
    rows = np.arange(n)
    m = s - s[rows, y][:, None] + d
    near = np.abs(m) < 0.05
    near[rows, y] = False
    s = s + near * np.where(m >= 0, 0.1, -0.1)  # push the near-kink margins away from 0
    return {"scores": s, "y": y, "delta": d, "default_delta": delta is None, "numgrad": numgrad}
