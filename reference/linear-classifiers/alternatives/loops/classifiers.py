"""Independent solution, loop style: one example (and one class) at a time, as in
CS231n's softmax_loss_naive and svm_loss_naive; the trainers use full-batch gradient
descent with momentum written without any helper from the reference."""

import math

import numpy as np


def softmax_loss(scores, y):
    N, C = scores.shape
    loss = 0.0
    dscores = np.zeros_like(scores, dtype=np.float64)
    for i in range(N):
        row = scores[i] - np.max(scores[i])
        exps = np.exp(row)
        total = np.sum(exps)
        for c in range(C):
            p = exps[c] / total
            dscores[i, c] = p
            if c == y[i]:
                loss -= math.log(p)
                dscores[i, c] -= 1.0
    return loss / N, dscores / N


def svm_loss(scores, y, delta=1.0):
    N, C = scores.shape
    loss = 0.0
    dscores = np.zeros_like(scores, dtype=np.float64)
    for i in range(N):
        correct = scores[i, y[i]]
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[i, j] - correct + delta
            if margin > 0:
                loss += margin
                dscores[i, j] += 1.0
                dscores[i, y[i]] -= 1.0
    return loss / N, dscores / N


def _vectorised_softmax_grad(S, y):
    # The loop version above is exact but slow on 3,750 x 10; training uses the same maths vectorised.
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1.0
    return P / len(y)


def _svm_grad(S, y):
    N = len(y)
    m = S - S[np.arange(N), y][:, None] + 1.0
    m[np.arange(N), y] = 0.0
    G = (m > 0).astype(np.float64)
    G[np.arange(N), y] = -G.sum(axis=1)
    return G / N


def _train(grad_fn, X, y, num_classes, lr, reg, steps):
    D = X.shape[1]
    W = np.zeros((D, num_classes))
    b = np.zeros(num_classes)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _ in range(steps):
        G = grad_fn(X @ W + b, y)
        gW = X.T @ G + 2 * reg * W
        gb = G.sum(axis=0)
        vW = 0.9 * vW - lr * gW
        vb = 0.9 * vb - lr * gb
        W += vW
        b += vb
    return W, b


def train_softmax(X, y, num_classes):
    return _train(_vectorised_softmax_grad, X, y, num_classes, lr=0.5, reg=1e-4, steps=100)


def train_svm(X, y, num_classes):
    return _train(_svm_grad, X, y, num_classes, lr=0.1, reg=1e-3, steps=100)
