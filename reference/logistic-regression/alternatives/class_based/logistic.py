"""Independent solution, class-based: a LogisticRegression estimator with fit() in
the scikit-learn habit (standardising inside, Adam on minibatches); the loss uses
np.logaddexp(0, z) - y z and the sigmoid is written with tanh (never overflows)."""

import numpy as np


def sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(z, dtype=np.float64))


def bce_with_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, z) - y * z)), (sigmoid(z) - y) / z.size


def logreg_loss_grad(w, b, X, y, reg=0.0):
    loss, dz = bce_with_logits(X @ w + b, y)
    return loss + reg * float(np.sum(w**2)), X.T @ dz + 2.0 * reg * w, float(dz.sum())


class LogisticRegression:
    def __init__(self, lr=0.01, epochs=30, batch=32, reg=1e-3, seed=0):
        self.lr, self.epochs, self.batch, self.reg = lr, epochs, batch, reg
        self.rng = np.random.default_rng(seed)

    def fit(self, X, y):
        self.mu, self.sd = X.mean(axis=0), X.std(axis=0)
        self.sd[self.sd == 0] = 1.0
        Xs = (X - self.mu) / self.sd
        theta = np.zeros(X.shape[1] + 1)
        m, v, t = np.zeros_like(theta), np.zeros_like(theta), 0
        for _ in range(self.epochs):
            order = self.rng.permutation(len(y))
            for s in range(0, len(y), self.batch):
                i = order[s : s + self.batch]
                _, dw, db = logreg_loss_grad(theta[:-1], theta[-1], Xs[i], y[i], self.reg)
                g = np.append(dw, db)
                t += 1
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                theta -= self.lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        self.w, self.b = theta[:-1], theta[-1]
        return self

    def raw_weights(self):
        w = self.w / self.sd
        return w, float(self.b - self.mu @ w)


def train_logreg(X, y):
    return LogisticRegression().fit(np.asarray(X, float), np.asarray(y, float)).raw_weights()
