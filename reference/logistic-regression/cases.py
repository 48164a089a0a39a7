"""Test-case generators for logistic-regression.

Labels are int64 in {0, 1}, both present whenever N >= 2. `large` > 0 puts scores
as large as `large` in magnitude into the batch: the two extremes +large and
-large always, each both confidently right and badly wrong, and about half of the
other entries between large/20 and large. `numgrad` tells the driver whether to
add numeric gradients (small cases only).
"""

import numpy as np


def _labels(rng, n):
    if n == 1:
        return np.array([0], dtype=np.int64)  # y = 0 is where label mix-ups show
    y = rng.integers(0, 2, n).astype(np.int64)
    y[0], y[1] = 0, 1
    return y


def _make_large(rng, z, y, large):
    n = z.shape[0]
    big = rng.random(n) < 0.5
    z = np.where(big, rng.choice([-1.0, 1.0], n) * rng.uniform(large / 20.0, large, n), z)
    if n >= 4:
        # y = [0, 1, ...]: z = +large on y = 0 and -large on y = 1 are badly wrong,
        # the next two are confidently right
        z[0], z[1] = large, -large
        z[2], z[3] = (large if y[2] == 1 else -large), (large if y[3] == 1 else -large)
    return z


def logits(rng, n=8, shape=None, scale=3.0, large=0.0, numgrad=True):
    """z (N,) (or `shape`) logits and y (N,) labels."""
    y = _labels(rng, n)
    if shape is not None:
        return {"z": scale * rng.standard_normal(tuple(shape)), "y": y, "numgrad": numgrad}
    z = scale * rng.standard_normal(n)
    if large > 0:
        z = _make_large(rng, z, y, large)
    return {"z": z, "y": y, "numgrad": numgrad}


def logreg(rng, n=10, d=4, reg=0.0, large=0.0, numgrad=True):
    """w (D,), b (float), X (N, D), y (N,), reg (float)."""
    y = _labels(rng, n)
    w = rng.standard_normal(d)
    b = float(rng.uniform(0.3, 1.0) * rng.choice([-1.0, 1.0]))
    X = rng.standard_normal((n, d)) + 0.5 * (2.0 * y[:, None] - 1.0)
    if large > 0:
        # rescale the rows so that the scores X @ w + b become the large logits
        target = _make_large(rng, X @ w + b, y, large)
        t = X @ w
        keep = np.abs(t) > 1e-3
        X[keep] *= ((target[keep] - b) / t[keep])[:, None]
    return {"w": w, "b": b, "X": X, "y": y, "reg": float(reg), "numgrad": numgrad}
