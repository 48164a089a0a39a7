"""Binary logistic regression (reference solution).

Labels are 0/1, scores z = X @ w + b, losses are means over the batch and the L2
penalty is reg * sum(w**2) (the bias is not penalised). Everything is float64 and
stays finite without overflow warnings for |z| up to 1e3 and beyond.
"""

import numpy as np


def _sigmoid(z):
    """1 / (1 + exp(-z)), computing only exp(-|z|) <= 1 so that nothing overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _bce(z, y):
    """Mean binary cross-entropy of logits z against 0/1 labels y, and its gradient."""
    n = z.shape[0]
    # -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - y z + log(1 + exp(-|z|))
    loss = np.sum(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))) / n
    dz = (_sigmoid(z) - y) / n
    return float(loss), dz


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return _sigmoid(z)


def bce_with_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return _bce(z, y)


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = X @ w + float(b)
    loss, dz = _bce(z, y)
    loss += reg * np.sum(w * w)
    dw = X.T @ dz + 2.0 * reg * w
    db = float(np.sum(dz))
    return float(loss), dw, db


def train_logreg(X, y):
    """Full-batch gradient descent on standardised features; returns (w, b) for the raw features."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    Xs = (X - mu) / sd
    w = np.zeros(X.shape[1])
    b = 0.0
    lr, reg = 0.5, 1e-3
    for _ in range(300):
        _, dw, db = logreg_loss_grad(w, b, Xs, y, reg)
        w -= lr * dw
        b -= lr * db
    # undo the standardisation: (x - mu) / sd @ w + b = x @ (w / sd) + (b - mu @ (w / sd))
    w_raw = w / sd
    return w_raw, float(b - mu @ w_raw)
