"""Independent solution in the CS231n assignment-1 style: softmax_loss_vectorized
(max shift, probabilities, -log of the true-class probability) and
svm_loss_vectorized (margins, zero the true class, count the positives), trained by
minibatch SGD with batches of 200 drawn with replacement."""

import numpy as np


def softmax_loss(scores, y):
    num_train = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(num_train), y])) / num_train
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    dscores /= num_train
    return loss, dscores


def svm_loss(scores, y, delta=1.0):
    num_train = scores.shape[0]
    correct = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + delta)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    binary = (margins > 0).astype(float)
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    return loss, binary / num_train


def _sgd(loss_fn, X, y, num_classes, learning_rate, reg, num_iters, batch_size=200):
    rng = np.random.RandomState(1)
    W = 0.001 * rng.randn(X.shape[1], num_classes)
    b = np.zeros(num_classes)
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size, replace=True)
        Xb, yb = X[idx], y[idx]
        _, dscores = loss_fn(Xb @ W + b, yb)
        W -= learning_rate * (Xb.T @ dscores + 2 * reg * W)
        b -= learning_rate * dscores.sum(axis=0)
    return W, b


def train_softmax(X, y, num_classes):
    return _sgd(softmax_loss, X, y, num_classes, learning_rate=0.5, reg=1e-4, num_iters=1500)


def train_svm(X, y, num_classes):
    return _sgd(svm_loss, X, y, num_classes, learning_rate=0.03, reg=5e-4, num_iters=1500)
