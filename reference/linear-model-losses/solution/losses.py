"""Losses of linear binary classifiers with labels in {-1, +1} (reference solution).

Each function takes scores z (N,) float64 and labels y (N,) int64 in {-1, +1} and
returns (loss, dz): the mean loss over the batch (a float) and its gradient with
respect to z, shape (N,).
"""

import numpy as np


def _sigmoid(t):
    """1 / (1 + exp(-t)) without overflow."""
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def perceptron_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = np.maximum(0.0, -m).sum() / n
    dz = -y * (m < 0) / n
    return float(loss), dz


def adaline_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    diff = z - y
    loss = 0.5 * np.sum(diff * diff) / n
    dz = diff / n
    return float(loss), dz


def hinge_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = np.maximum(0.0, 1.0 - m).sum() / n
    dz = -y * (m < 1.0) / n
    return float(loss), dz


def logistic_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = np.logaddexp(0.0, -m).sum() / n  # log(1 + exp(-m)), stable for any m
    dz = -y * _sigmoid(-m) / n
    return float(loss), dz
