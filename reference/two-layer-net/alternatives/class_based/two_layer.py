"""Independent solution, class-based: a TwoLayerNet object holding the parameters
with forward() and backward(); the softmax loss is log-softmax with np.logaddexp
reductions, the sigmoid output uses np.logaddexp(0, z) for the BCE; training is
Adam on shuffled epochs."""

import numpy as np


def _sigmoid(z):
    # tanh form: never overflows and needs no branch.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class TwoLayerNet:
    def __init__(self, params):
        self.p = params

    def forward(self, X):
        self.X = X
        self.h = _sigmoid(X @ self.p["W1"] + self.p["b1"])
        return self.h @ self.p["W2"] + self.p["b2"]

    def backward(self, dscores, reg):
        p = self.p
        da = (dscores @ p["W2"].T) * self.h * (1.0 - self.h)
        return {
            "W1": self.X.T @ da + 2.0 * reg * p["W1"],
            "b1": da.sum(axis=0),
            "W2": self.h.T @ dscores + 2.0 * reg * p["W2"],
            "b2": dscores.sum(axis=0),
        }


def _softmax_ce(scores, y):
    n = scores.shape[0]
    lse = np.logaddexp.reduce(scores, axis=1, keepdims=True)
    logp = scores - lse
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return -np.mean(logp[np.arange(n), y]), d / n


def _bce(scores, y):
    z = scores[:, 0]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return loss, ((_sigmoid(z) - y) / z.shape[0])[:, None]


def two_layer_scores(params, X):
    return TwoLayerNet(params).forward(X)


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    net = TwoLayerNet(params)
    scores = net.forward(X)
    data, dscores = (_softmax_ce if output == "softmax" else _bce)(scores, y)
    loss = data + reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return loss, net.backward(dscores, reg)


def train_two_layer(X, y, num_classes):
    rng = np.random.default_rng(99)
    D, H = X.shape[1], 64
    params = {
        "W1": rng.standard_normal((D, H)) * np.sqrt(1.0 / D),
        "b1": np.zeros(H),
        "W2": rng.standard_normal((H, num_classes)) * np.sqrt(1.0 / H),
        "b2": np.zeros(num_classes),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(w) for k, w in params.items()}
    t = 0
    for _ in range(15):
        order = rng.permutation(len(y))
        for s in range(0, len(y), 64):
            i = order[s : s + 64]
            _, g = two_layer_loss(params, X[i], y[i], reg=1e-4)
            t += 1
            for k in params:
                m[k] = 0.9 * m[k] + 0.1 * g[k]
                v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
                params[k] -= 2e-3 * m[k] / (1 - 0.9**t) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return params
