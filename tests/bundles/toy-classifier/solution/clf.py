import numpy as np


def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -logp[np.arange(n), y].mean()
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return float(loss), d / n


def train(X, y, num_classes):
    W = np.zeros((X.shape[1], num_classes))
    history = []
    for _ in range(200):
        loss, d = softmax_loss(X @ W, y)
        W -= 0.5 * (X.T @ d)
        history.append(loss)
    return W, history
