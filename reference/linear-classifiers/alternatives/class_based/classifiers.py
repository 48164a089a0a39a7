"""Independent solution, class-based: a LinearClassifier with a pluggable loss, as in
CS231n's linear_classifier.py; the softmax loss works from log-probabilities
(log-sum-exp) and the SVM loss is written with np.where; training is Adam on
shuffled epochs."""

import numpy as np


class Softmax:
    """Cross-entropy of the softmax over classes."""

    @staticmethod
    def loss(scores, y):
        n = len(y)
        z = scores - scores.max(axis=1)[:, None]
        log_norm = np.log(np.exp(z).sum(axis=1))
        log_probs = z - log_norm[:, None]
        value = -log_probs[np.arange(n), y].mean()
        grad = np.exp(log_probs)
        grad[np.arange(n), y] -= 1
        return value, grad / n


class MulticlassSVM:
    """Weston-Watkins hinge over the wrong classes."""

    def __init__(self, delta=1.0):
        self.delta = delta

    def loss(self, scores, y):
        n = len(y)
        onehot = np.eye(scores.shape[1], dtype=bool)[y]
        true_scores = np.sum(np.where(onehot, scores, 0.0), axis=1, keepdims=True)
        margins = np.where(onehot, 0.0, scores - true_scores + self.delta)
        active = margins > 0
        value = np.where(active, margins, 0.0).sum() / n
        grad = active.astype(np.float64) - onehot * active.sum(axis=1, keepdims=True)
        return value, grad / n


class LinearClassifier:
    """W, b trained with Adam on shuffled minibatches of a given loss."""

    def __init__(self, criterion, num_classes, lr, reg, epochs, batch=128):
        self.criterion, self.k = criterion, num_classes
        self.lr, self.reg, self.epochs, self.batch = lr, reg, epochs, batch

    def fit(self, X, y):
        rng = np.random.default_rng(7)
        params = [np.zeros((X.shape[1], self.k)), np.zeros(self.k)]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        t = 0
        for _ in range(self.epochs):
            order = rng.permutation(len(y))
            for s in range(0, len(y), self.batch):
                idx = order[s : s + self.batch]
                _, g = self.criterion.loss(X[idx] @ params[0] + params[1], y[idx])
                grads = [X[idx].T @ g + 2 * self.reg * params[0], g.sum(axis=0)]
                t += 1
                for p, gp, mp, vp in zip(params, grads, m, v):
                    mp *= 0.9
                    mp += 0.1 * gp
                    vp *= 0.999
                    vp += 0.001 * gp**2
                    p -= self.lr * (mp / (1 - 0.9**t)) / (np.sqrt(vp / (1 - 0.999**t)) + 1e-8)
        return params[0], params[1]


def softmax_loss(scores, y):
    return Softmax.loss(scores, y)


def svm_loss(scores, y, delta=1.0):
    return MulticlassSVM(delta).loss(scores, y)


def train_softmax(X, y, num_classes):
    return LinearClassifier(Softmax, num_classes, lr=2e-3, reg=1e-4, epochs=15).fit(X, y)


def train_svm(X, y, num_classes):
    return LinearClassifier(MulticlassSVM(), num_classes, lr=1e-3, reg=1e-3, epochs=10).fit(X, y)
