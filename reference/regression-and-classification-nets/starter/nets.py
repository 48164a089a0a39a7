"""Two small fully connected networks: a regression net (MSE) and a binary classifier (BCE).

Both take params, a dict of float64 arrays
    W1 (D, H), b1 (H,), W2 (H, K), b2 (K,)      (K = 1 for the classifier)
and return (loss, grads): loss a Python/NumPy float, grads a dict with exactly
the keys "W1", "b1", "W2", "b2", each the gradient of the loss with respect to
that parameter, of the parameter's shape. Layers compute out = x @ W + b.

Only NumPy and the Python standard library are available when grading.
Each function raises NotImplementedError until you write it.
"""

import numpy as np


def regression_net_loss(params, X, Y, activation="relu"):
    """Linear -> activation -> Linear, mean squared error.

    params: W1 (D, H), b1 (H,), W2 (H, K), b2 (K,).
    X: (N, D) inputs; Y: (N, K) targets.
    activation: "relu", "leaky_relu" (slope 0.01), "tanh" or "sigmoid".

    h = activation(X @ W1 + b1)            (N, H)
    out = h @ W2 + b2                      (N, K)
    loss = mean((out - Y)**2)              mean over all N*K entries, no 1/2

    Returns (loss, grads), grads = {"W1": (D, H), "b1": (H,), "W2": (H, K), "b2": (K,)}.
    """
    raise NotImplementedError("regression_net_loss is not implemented")


def classification_net_loss(params, X, y):
    """Linear -> tanh -> Linear -> sigmoid, mean binary cross-entropy.

    params: W1 (D, H), b1 (H,), W2 (H, 1), b2 (1,).
    X: (N, D) inputs; y: (N,) int64 labels in {0, 1}.

    h = tanh(X @ W1 + b1)                  (N, H)
    z = h @ W2 + b2                        (N, 1), the logits
    p = sigmoid(z)                         probability of class 1
    loss = mean over N of -[y log p + (1 - y) log(1 - p)]
    Compute it from z without overflow or log(0), for any z (|z| up to 100).

    Returns (loss, grads), grads = {"W1": (D, H), "b1": (H,), "W2": (H, 1), "b2": (1,)}.
    """
    raise NotImplementedError("classification_net_loss is not implemented")
