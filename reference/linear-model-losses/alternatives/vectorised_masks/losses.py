"""Independent solution, vectorised with boolean masks (the way a course's
"vectorised" exercise is usually written); the logistic loss splits the batch by
the sign of the margin so exp() only ever sees non-positive numbers."""

import numpy as np


def perceptron_loss(z, y):
    n = z.size
    margins = y * z
    wrong = margins < 0
    loss = -np.sum(margins[wrong]) / n
    dz = np.zeros(n)
    dz[wrong] = -y[wrong] / n
    return loss, dz


def adaline_loss(z, y):
    err = y - z
    return np.mean(err**2) / 2, -err / z.size


def hinge_loss(z, y):
    n = z.size
    margins = y * z
    active = margins < 1
    loss = np.sum(1 - margins[active]) / n
    dz = np.where(active, -y, 0) / n
    return loss, dz


def logistic_loss(z, y):
    n = z.size
    m = (y * z).astype(float)
    per = np.empty(n)
    sig_neg = np.empty(n)
    pos = m >= 0
    e_pos = np.exp(-m[pos])
    per[pos] = np.log1p(e_pos)
    sig_neg[pos] = e_pos / (1 + e_pos)
    e_neg = np.exp(m[~pos])
    per[~pos] = -m[~pos] + np.log1p(e_neg)
    sig_neg[~pos] = 1 / (1 + e_neg)
    return per.mean(), -y * sig_neg / n
