"""Independent solution, per-example loops: forward and backward one example at a
time (outer products for the weight gradients), textbook softmax (max shift, then
-log of the probability) and, for the sigmoid output, the BCE written from the logit
by cases on its sign. Training is vectorised SGD with momentum."""

import math

import numpy as np


def _sig(a):
    # Two branches by sign, each computing exp of a non-positive number only.
    out = np.empty_like(a, dtype=np.float64)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def two_layer_scores(params, X):
    return _sig(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _example(params, x, t, output):
    """Loss of one example and the gradient of that loss with respect to its scores."""
    h = _sig(x @ params["W1"] + params["b1"])
    s = h @ params["W2"] + params["b2"]
    if output == "sigmoid":
        z = float(s[0])
        if z >= 0:
            loss = z - t * z + math.log1p(math.exp(-z))
        else:
            loss = -t * z + math.log1p(math.exp(z))
        return loss, _sig(s) - t, h
    e = np.exp(s - s.max())
    p = e / e.sum()
    ds = p.copy()
    ds[t] -= 1.0
    return -math.log(p[t]), ds, h


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    N = X.shape[0]
    grads = {k: np.zeros_like(v, dtype=np.float64) for k, v in params.items()}
    total = 0.0
    for n in range(N):
        loss, ds, h = _example(params, X[n], y[n], output)
        total += loss
        grads["W2"] += np.outer(h, ds)
        grads["b2"] += ds
        da = (params["W2"] @ ds) * h * (1.0 - h)
        grads["W1"] += np.outer(X[n], da)
        grads["b1"] += da
    for k in grads:
        grads[k] /= N
    for k in ("W1", "W2"):
        total += reg * N * np.sum(params[k] ** 2)
        grads[k] += 2.0 * reg * params[k]
    return total / N, grads


def train_two_layer(X, y, num_classes):
    rng = np.random.default_rng(5)
    D, H = X.shape[1], 100
    p = {
        "W1": rng.normal(0, 1 / np.sqrt(D), (D, H)),
        "b1": np.zeros(H),
        "W2": rng.normal(0, 1 / np.sqrt(H), (H, num_classes)),
        "b2": np.zeros(num_classes),
    }
    vel = {k: np.zeros_like(v) for k, v in p.items()}
    onehot = np.eye(num_classes)
    for _ in range(15):
        order = rng.permutation(len(y))
        for s in range(0, len(y), 50):
            i = order[s : s + 50]
            h = _sig(X[i] @ p["W1"] + p["b1"])
            sc = h @ p["W2"] + p["b2"]
            e = np.exp(sc - sc.max(axis=1, keepdims=True))
            ds = (e / e.sum(axis=1, keepdims=True) - onehot[y[i]]) / len(i)
            da = ds @ p["W2"].T * h * (1 - h)
            g = {"W2": h.T @ ds + 2e-4 * p["W2"], "b2": ds.sum(0), "W1": X[i].T @ da + 2e-4 * p["W1"], "b1": da.sum(0)}
            for k in p:
                vel[k] = 0.9 * vel[k] - 0.1 * g[k]
                p[k] += vel[k]
    return p
