"""Multiclass linear classifiers: softmax and multiclass SVM losses, and training (reference solution).

Scores are (N, C), labels int64 (N,) in 0..C-1, losses are means over the batch.
A linear classifier predicts argmax(X @ W + b) with W (D, C) and b (C,).
"""

import numpy as np


def _softmax_ce(scores, y):
    """Mean softmax cross-entropy and its gradient; shifts each row by its max so nothing overflows."""
    n = scores.shape[0]
    rows = np.arange(n)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    loss = -log_probs[rows, y].sum() / n
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(loss), dscores / n


def _svm(scores, y, delta):
    """Mean Weston-Watkins multiclass hinge loss (j != y_i) and its gradient."""
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + delta)
    margins[rows, y] = 0.0
    loss = margins.sum() / n
    active = (margins > 0).astype(np.float64)
    active[rows, y] = -active.sum(axis=1)
    return float(loss), active / n


def softmax_loss(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    return _softmax_ce(scores, y)


def svm_loss(scores, y, delta=1.0):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    return _svm(scores, y, float(delta))


def _train_linear(loss_fn, X, y, num_classes, lr, reg, epochs, batch_size=100, seed=0):
    """Minibatch SGD on loss_fn(X @ W + b, y) + reg * sum(W**2)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n, d = X.shape
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((d, num_classes))
    b = np.zeros(num_classes)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            _, dscores = loss_fn(X[idx] @ W + b, y[idx])
            W -= lr * (X[idx].T @ dscores + 2.0 * reg * W)
            b -= lr * dscores.sum(axis=0)
    return W, b


def train_softmax(X, y, num_classes):
    return _train_linear(softmax_loss, X, y, num_classes, lr=0.5, reg=1e-4, epochs=15)


def train_svm(X, y, num_classes):
    return _train_linear(lambda s, t: svm_loss(s, t, 1.0), X, y, num_classes, lr=0.05, reg=1e-3, epochs=15)
