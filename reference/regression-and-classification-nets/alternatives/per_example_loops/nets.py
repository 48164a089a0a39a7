"""Independent solution, one example at a time: each example's forward pass, its
loss term and its backward pass with outer products, accumulated over the batch;
scalar activations from the math module; BCE from the logit by the sign of z."""

import math

import numpy as np


def _f(a, activation):
    if activation == "relu":
        return max(a, 0.0)
    if activation == "leaky_relu":
        return a if a > 0 else 0.01 * a
    if activation == "tanh":
        return math.tanh(a)
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    return math.exp(a) / (1.0 + math.exp(a))


def _fprime(a, h, activation):
    if activation == "relu":
        return 1.0 if a > 0 else 0.0
    if activation == "leaky_relu":
        return 1.0 if a > 0 else 0.01
    if activation == "tanh":
        return 1.0 - h * h
    return h * (1.0 - h)


def _backprop(params, x, a, h, dout, grads, activation):
    grads["W2"] += np.outer(h, dout)
    grads["b2"] += dout
    dh = params["W2"] @ dout
    da = np.array([dh[j] * _fprime(a[j], h[j], activation) for j in range(len(a))])
    grads["W1"] += np.outer(x, da)
    grads["b1"] += da


def _hidden(params, x, activation):
    a = x @ params["W1"] + params["b1"]
    return a, np.array([_f(v, activation) for v in a])


def regression_net_loss(params, X, Y, activation="relu"):
    N, K = Y.shape
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    total = 0.0
    for i in range(N):
        a, h = _hidden(params, X[i], activation)
        err = h @ params["W2"] + params["b2"] - Y[i]
        total += float(err @ err)
        _backprop(params, X[i], a, h, 2.0 * err / (N * K), grads, activation)
    return total / (N * K), grads


def classification_net_loss(params, X, y):
    N = X.shape[0]
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    total = 0.0
    for i in range(N):
        a, h = _hidden(params, X[i], "tanh")
        z = float(h @ params["W2"][:, 0] + params["b2"][0])
        t = float(y[i])
        if z >= 0:
            total += z - t * z + math.log1p(math.exp(-z))
            p = 1.0 / (1.0 + math.exp(-z))
        else:
            total += -t * z + math.log1p(math.exp(z))
            p = math.exp(z) / (1.0 + math.exp(z))
        _backprop(params, X[i], a, h, np.array([(p - t) / N]), grads, "tanh")
    return total / N, grads
