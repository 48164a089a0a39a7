"""Two small fully connected networks with their losses and gradients (reference solution).

params: W1 (D, H), b1 (H,), W2 (H, K), b2 (K,); grads has the same keys and shapes.
"""

import numpy as np

LEAKY_ALPHA = 0.01
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


def _sigmoid(t):
    """1 / (1 + exp(-t)) without overflow."""
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _act_forward(a, activation):
    if activation == "relu":
        return np.maximum(a, 0.0)
    if activation == "leaky_relu":
        return np.where(a > 0, a, LEAKY_ALPHA * a)
    if activation == "tanh":
        return np.tanh(a)
    if activation == "sigmoid":
        return _sigmoid(a)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


def _act_backward(dh, a, h, activation):
    """d loss / d a from d loss / d h, for h = activation(a)."""
    if activation == "relu":
        return dh * (a > 0)
    if activation == "leaky_relu":
        return dh * np.where(a > 0, 1.0, LEAKY_ALPHA)
    if activation == "tanh":
        return dh * (1.0 - h * h)
    if activation == "sigmoid":
        return dh * h * (1.0 - h)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


def _params(params):
    return (np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))


def regression_net_loss(params, X, Y, activation="relu"):
    """Linear -> activation -> Linear, MSE over all N*K outputs."""
    W1, b1, W2, b2 = _params(params)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    a = X @ W1 + b1
    h = _act_forward(a, activation)
    out = h @ W2 + b2
    diff = out - Y
    loss = float(np.mean(diff * diff))
    dout = 2.0 * diff / diff.size
    dW2 = h.T @ dout
    db2 = dout.sum(axis=0)
    da = _act_backward(dout @ W2.T, a, h, activation)
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def classification_net_loss(params, X, y):
    """Linear -> tanh -> Linear -> sigmoid, mean binary cross-entropy against y in {0, 1}."""
    W1, b1, W2, b2 = _params(params)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    a = X @ W1 + b1
    h = _act_forward(a, "tanh")
    z = (h @ W2 + b2)[:, 0]
    # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + exp(z)) - y z, stable for any z
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    dz = ((_sigmoid(z) - y) / n)[:, None]
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    da = _act_backward(dz @ W2.T, a, h, "tanh")
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
