"""Binary logistic regression: a stable sigmoid, the BCE loss, its gradient, and training.

Conventions: float64 arrays, batch first, labels y in {0, 1} (int64), losses are
MEANS over the batch, scores z = X @ w + b, and the L2 penalty is reg * sum(w**2)
(no 1/2, the bias b is not penalised). sigmoid, bce_with_logits and
logreg_loss_grad must not overflow or warn for |z| up to 1e3.

Only NumPy and the Python standard library are available when grading.
Each function raises NotImplementedError until you write it.
"""

import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), element-wise.

    z: float64 array of any shape (entries as large as |z| = 1000).
    Returns a: float64 array of the same shape, 0 <= a <= 1, computed without
    overflow warnings or NaN.
    """
    raise NotImplementedError("sigmoid is not implemented")


def bce_with_logits(z, y):
    """Mean binary cross-entropy of the logits z against the labels y.

    z: (N,) float64 logits; y: (N,) int64 labels in {0, 1}.
    Returns (loss, dz):
        loss: -mean(y * log(sigmoid(z)) + (1 - y) * log(1 - sigmoid(z))), a float,
              computed stably from the logits;
        dz:   (N,) float64, the gradient of loss with respect to z: (sigmoid(z) - y) / N.
    """
    raise NotImplementedError("bce_with_logits is not implemented")


def logreg_loss_grad(w, b, X, y, reg=0.0):
    """Loss and gradient of L2-regularised logistic regression.

    w: (D,) weights; b: float bias; X: (N, D) data; y: (N,) labels in {0, 1};
    reg: L2 strength.
    Returns (loss, dw, db):
        loss: mean BCE of z = X @ w + b, plus reg * sum(w**2) (a float);
        dw:   (D,) gradient of loss with respect to w;
        db:   the gradient with respect to b (a float).
    """
    raise NotImplementedError("logreg_loss_grad is not implemented")


def train_logreg(X, y):
    """Train logistic regression on the breast-cancer training split.

    X: (N, 30) float64 raw (unstandardised) features; y: (N,) int64 labels,
    0 = malignant, 1 = benign.
    Returns (w, b): w (30,) float64 and b a float, such that X_test @ w + b > 0
    predicts "benign" for the RAW test features. If you standardise the features
    (you should), fold the standardisation into w and b before returning them.
    Choose your own learning rate, number of steps and reg; any seed you use
    should be fixed.
    """
    raise NotImplementedError("train_logreg is not implemented")
