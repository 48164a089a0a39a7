"""Losses of linear binary classifiers, labels in {-1, +1}.

Every function takes
    z: scores of a linear model (for example X @ w + b), float64 array of shape (N,);
    y: labels, int64 array of shape (N,), each -1 or +1;
and returns (loss, dz):
    loss: the MEAN of the per-example loss over the batch, a Python/NumPy float;
    dz:   the gradient of that mean with respect to z, float64 array of shape (N,).

Only NumPy and the Python standard library are available when grading.
Each function raises NotImplementedError until you write it.
"""

import numpy as np


def perceptron_loss(z, y):
    """Perceptron loss: mean(max(0, -y * z)).

    z: (N,) scores; y: (N,) labels in {-1, +1}.
    Returns (loss, dz): dz_i = -y_i / N where y_i z_i < 0 (misclassified), 0 elsewhere.
    """
    raise NotImplementedError("perceptron_loss is not implemented")


def adaline_loss(z, y):
    """Adaline (least-squares) loss: 0.5 * mean((y - z)**2).

    z: (N,) scores; y: (N,) labels in {-1, +1}.
    Returns (loss, dz): dz = (z - y) / N.
    """
    raise NotImplementedError("adaline_loss is not implemented")


def hinge_loss(z, y):
    """Hinge loss (linear SVM): mean(max(0, 1 - y * z)).

    z: (N,) scores; y: (N,) labels in {-1, +1}.
    Returns (loss, dz): dz_i = -y_i / N where y_i z_i < 1, 0 elsewhere.
    """
    raise NotImplementedError("hinge_loss is not implemented")


def logistic_loss(z, y):
    """Logistic loss: mean(log(1 + exp(-y * z))), computed without overflow for any z.

    z: (N,) scores (|z| may be as large as 1000); y: (N,) labels in {-1, +1}.
    Returns (loss, dz): dz = -y * sigmoid(-y * z) / N.
    """
    raise NotImplementedError("logistic_loss is not implemented")
