"""Independent solution, class-based: each loss is a small object with value() and
grad() in terms of the margin m = y z (dL/dz = y dL/dm), as in a course's
"loss objects" framework; the logistic one uses np.logaddexp."""

import numpy as np


class MarginLoss:
    def value(self, m):
        raise NotImplementedError

    def grad(self, m):
        raise NotImplementedError

    def __call__(self, z, y):
        z = np.asarray(z, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        m = y * z
        return float(np.mean(self.value(m))), y * self.grad(m) / len(z)


class Perceptron(MarginLoss):
    def value(self, m):
        return np.maximum(0.0, -m)

    def grad(self, m):
        return -1.0 * (m < 0)


class Hinge(MarginLoss):
    def value(self, m):
        return np.clip(1.0 - m, 0.0, None)

    def grad(self, m):
        return np.where(m < 1, -1.0, 0.0)


class Logistic(MarginLoss):
    def value(self, m):
        return np.logaddexp(0.0, -m)

    def grad(self, m):
        # d/dm log(1 + e^-m) = -1 / (1 + e^m), written through tanh so nothing overflows.
        return -0.5 * (1.0 - np.tanh(0.5 * m))


def perceptron_loss(z, y):
    return Perceptron()(z, y)


def adaline_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r = z - y
    return float(0.5 * np.dot(r, r) / len(z)), r / len(z)


def hinge_loss(z, y):
    return Hinge()(z, y)


def logistic_loss(z, y):
    return Logistic()(z, y)
