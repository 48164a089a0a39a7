"""Test-case generators for linear-classifiers.

scores (N, C) float64 and labels y (N,) int64 in 0..C-1. For the SVM, every margin
s_j - s_{y_i} + delta (j != y_i) is kept at least 0.05 away from 0, the kink of the
hinge, so the gradient is unambiguous and centred differences are exact, and every
row has at least one positive margin.
`scale` multiplies the scores (300 makes logits of several hundreds); `offset`
adds a constant to every score (all logits large and positive); `row_max` moves each
row so that its maximum lies between row_max and row_max + 250.

`true_gap` bounds how far the true class's score lies below its row's maximum.
The stress tests need exp() to overflow without the max shift, not a true-class
probability that underflows: with the gap at most 200, log p_{i,y_i} >= -200 - log C,
so the textbook softmax (shift, exp, normalise, log of the true-class probability)
gets the same finite loss as log-softmax.
"""

import numpy as np


def _labels(rng, n, c):
    y = rng.integers(0, c, n).astype(np.int64)
    if n >= c:
        y[:c] = rng.permutation(c)  # every class present
    return y


def _bound_true_gap(rng, s, y, true_gap):
    """Raise each true-class score that lies more than `true_gap` below its row's maximum to within it."""
    rows = np.arange(s.shape[0])
    top = s.max(axis=1)
    far = top - s[rows, y] > true_gap
    lifted = top - rng.uniform(0.5, 1.0, s.shape[0]) * true_gap
    s[rows, y] = np.where(far, lifted, s[rows, y])
    return s


def scores(rng, n=5, c=4, scale=1.0, offset=0.0, true_gap=200.0, row_max=None, numgrad=True):
    s = scale * rng.standard_normal((n, c))
    y = _labels(rng, n, c)
    s = _bound_true_gap(rng, s, y, true_gap) + offset
    if row_max is not None:
        # every row's maximum between row_max and row_max + 250: exp overflows in every row without the shift
        s += (rng.uniform(row_max, row_max + 250.0, n) - s.max(axis=1))[:, None]
    return {"scores": s, "y": y, "numgrad": numgrad}


def _one_active_margin_per_row(rng, s, y, d):
    """A row without a positive margin gets one (0.2 to 1 above the kink) on a random wrong class.

    Then every row's true-class gradient is non-zero, so a gradient that leaves the
    true-class column at 0 fails every SVM test whatever the draw (also with N = 1).
    """
    rows = np.arange(s.shape[0])
    m = s - s[rows, y][:, None] + d
    m[rows, y] = -np.inf
    for i in np.flatnonzero((m <= 0).all(axis=1)):
        j = (y[i] + rng.integers(1, s.shape[1])) % s.shape[1]
        s[i, j] = s[i, y[i]] - d + rng.uniform(0.2, 1.0)
    return s


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
    s = _one_active_margin_per_row(rng, s, y, d)
    return {"scores": s, "y": y, "delta": d, "default_delta": delta is None, "numgrad": numgrad}
