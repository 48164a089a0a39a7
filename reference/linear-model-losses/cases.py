"""Test-case generators for linear-model-losses.

z (N,) float64 scores and y (N,) int64 labels in {-1, +1}. `kind` places the
margins m = y * z away from the kinks: "perceptron" keeps |m| >= 0.05 with both
signs present, "hinge" keeps |1 - m| >= 0.05 with points on both sides of the
margin, "smooth" draws z freely. `active` (N = 1) puts the single example where
the loss is non-zero (misclassified / inside the margin). `large` > 0 makes about
half of the scores as large as `large` in magnitude, with both extremes present.
"""

import numpy as np


def _labels(rng, n):
    if n == 1:
        return np.array([-1], dtype=np.int64)  # y = -1 is where label mix-ups show
    y = rng.choice(np.array([-1, 1], dtype=np.int64), n)
    if n >= 2:
        y[0], y[1] = -1, 1  # both labels present
    return y


def _signs(rng, n, active):
    """+1 / -1 per example, both present when n >= 2; -1 (the active side) when `active` and n == 1."""
    if n == 1:
        return np.array([-1.0 if active else 1.0])
    s = rng.choice([-1.0, 1.0], n)
    s[rng.permutation(n)[:2]] = [-1.0, 1.0]
    return s


def scores(rng, n=8, kind="smooth", scale=2.0, large=0.0, active=True, numgrad=True):
    y = _labels(rng, n)
    if kind == "perceptron":
        m = _signs(rng, n, active) * rng.uniform(0.05, scale, n)
        z = y * m
    elif kind == "hinge":
        m = 1.0 + _signs(rng, n, active) * rng.uniform(0.05, scale, n)
        z = y * m
    else:
        z = scale * rng.standard_normal(n)
    if large > 0:
        big = rng.random(n) < 0.5
        z = np.where(big, rng.choice([-1.0, 1.0], n) * rng.uniform(large / 20.0, large, n), z)
        z[0], z[1] = large, -large  # y[0] = -1, y[1] = +1: both badly misclassified
        z[2], z[3] = y[2] * large, y[3] * large  # and two confidently right
    return {"z": z, "y": y, "numgrad": numgrad}
