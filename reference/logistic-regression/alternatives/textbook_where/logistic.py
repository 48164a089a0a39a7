"""Independent solution with the textbook stable formulas: sigmoid as np.where over
exp(-|z|), BCE as max(z, 0) - y z + log1p(exp(-|z|)); trained by gradient descent
with momentum on standardised features."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    ez = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + ez), ez / (1 + ez))


def bce_with_logits(z, y):
    z = np.asarray(z, dtype=float)
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    return loss, (sigmoid(z) - y) / len(z)


def logreg_loss_grad(w, b, X, y, reg=0.0):
    z = X.dot(w) + b
    loss, dz = bce_with_logits(z, y)
    return loss + reg * w.dot(w), X.T.dot(dz) + 2 * reg * w, dz.sum()


def train_logreg(X, y):
    mu, sd = X.mean(0), X.std(0) + 1e-12
    Xn = (X - mu) / sd
    w, b = np.zeros(X.shape[1]), 0.0
    vw, vb = np.zeros_like(w), 0.0
    for _ in range(200):
        _, dw, db = logreg_loss_grad(w, b, Xn, y, reg=1e-3)
        vw = 0.9 * vw - 0.1 * dw
        vb = 0.9 * vb - 0.1 * db
        w, b = w + vw, b + vb
    return w / sd, b - mu.dot(w / sd)
