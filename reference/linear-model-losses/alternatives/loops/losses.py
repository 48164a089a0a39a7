"""Independent solution, one example at a time with the math module; the logistic
loss uses log(1 + e^-m) = max(0, -m) + log1p(e^-|m|) and a sigmoid by cases."""

import math

import numpy as np


def _loop(z, y, term):
    n = len(z)
    loss = 0.0
    dz = np.zeros(n)
    for i in range(n):
        value, grad = term(float(z[i]), float(y[i]))
        loss += value
        dz[i] = grad / n
    return loss / n, dz


def _perceptron(z, y):
    m = y * z
    return (-m, -y) if m < 0 else (0.0, 0.0)


def _adaline(z, y):
    return 0.5 * (y - z) ** 2, z - y


def _hinge(z, y):
    m = y * z
    return (1.0 - m, -y) if m < 1 else (0.0, 0.0)


def _logistic(z, y):
    m = y * z
    value = max(0.0, -m) + math.log1p(math.exp(-abs(m)))
    if m >= 0:
        sig_neg = math.exp(-m) / (1.0 + math.exp(-m))  # sigmoid(-m)
    else:
        sig_neg = 1.0 / (1.0 + math.exp(m))
    return value, -y * sig_neg


def perceptron_loss(z, y):
    return _loop(z, y, _perceptron)


def adaline_loss(z, y):
    return _loop(z, y, _adaline)


def hinge_loss(z, y):
    return _loop(z, y, _hinge)


def logistic_loss(z, y):
    return _loop(z, y, _logistic)
