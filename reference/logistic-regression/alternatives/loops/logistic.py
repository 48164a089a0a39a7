"""Independent solution, one example at a time with the math module: the sigmoid and
the BCE by cases on the sign of z; training is full-batch gradient descent on
features standardised with hand-written means and deviations, folded back into (w, b)
for the raw features."""

import math

import numpy as np


def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _bce_term(v, t):
    # -t log s(v) - (1 - t) log(1 - s(v)), with log s(v) = -log(1 + e^-v) written per sign.
    if v >= 0:
        return (1.0 - t) * v + math.log1p(math.exp(-v))
    return -t * v + math.log1p(math.exp(v))


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.zeros(z.shape)
    for idx in np.ndindex(z.shape):
        out[idx] = _sig(float(z[idx]))
    return out


def bce_with_logits(z, y):
    n = len(z)
    loss = 0.0
    dz = np.zeros(n)
    for i in range(n):
        loss += _bce_term(float(z[i]), float(y[i]))
        dz[i] = (_sig(float(z[i])) - float(y[i])) / n
    return loss / n, dz


def logreg_loss_grad(w, b, X, y, reg=0.0):
    n, d = X.shape
    z = np.array([sum(X[i, j] * w[j] for j in range(d)) + b for i in range(n)])
    loss, dz = bce_with_logits(z, y)
    dw = np.zeros(d)
    for i in range(n):
        dw += dz[i] * X[i]
    loss += reg * sum(wj * wj for wj in w)
    return loss, dw + 2 * reg * np.asarray(w, dtype=np.float64), float(sum(dz))


def train_logreg(X, y):
    n, d = X.shape
    mean = np.array([sum(X[:, j]) / n for j in range(d)])
    std = np.array([math.sqrt(sum((X[:, j] - mean[j]) ** 2) / n) or 1.0 for j in range(d)])
    Xs = (X - mean) / std
    w, b = np.zeros(d), 0.0
    for _ in range(500):
        z = Xs @ w + b
        e = np.exp(-np.abs(z))
        p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        g = (p - y) / n
        w -= 0.5 * (Xs.T @ g + 2e-3 * w)
        b -= 0.5 * g.sum()
    w_raw = w / std
    return w_raw, b - mean @ w_raw
