"""Independent solution, class-based: each layer is an object with forward() and
backward() (a small Sequential, as in PyTorch-like course frameworks); the
convolution is written with einsum over a strided window view, the loss is
log-softmax (log-sum-exp), and training is Adam on shuffled minibatches."""

import numpy as np
from numpy.lib.stride_tricks import as_strided


class Conv3x3:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, x):
        N, C, H, W = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        s = xp.strides
        self.win = as_strided(xp, (N, C, H, W, 3, 3), (s[0], s[1], s[2], s[3], s[2], s[3]), writeable=False)
        return np.einsum("nchwkl,fckl->nfhw", self.win, self.w, optimize=True) + self.b[:, None, None]

    def backward(self, d):
        return {"w": np.einsum("nfhw,nchwkl->fckl", d, self.win, optimize=True), "b": d.sum(axis=(0, 2, 3))}


class ReLU:
    def forward(self, x):
        self.pos = x > 0
        return np.where(self.pos, x, 0.0)

    def backward(self, d):
        return d * self.pos


class MaxPool2:
    def forward(self, x):
        N, F, H, W = x.shape
        self.shape = x.shape
        t = x.reshape(N, F, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, F, H // 2, W // 2, 4)
        self.arg = t.argmax(axis=-1)
        return t.max(axis=-1)

    def backward(self, d):
        N, F, H, W = self.shape
        g = np.zeros((N, F, H // 2, W // 2, 4))
        np.put_along_axis(g, self.arg[..., None], d[..., None], axis=-1)
        return g.reshape(N, F, H // 2, W // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(self.shape)


class Linear:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.w + self.b

    def backward(self, d):
        self.dx = (d @ self.w.T).reshape(self.shape)
        return {"w": self.x.T @ d, "b": d.sum(axis=0)}


def _build(params):
    return [
        ("1", Conv3x3(params["W1"], params["b1"])), (None, ReLU()), (None, MaxPool2()),
        ("2", Linear(params["W2"], params["b2"])), (None, ReLU()),
        ("3", Linear(params["W3"], params["b3"])),
    ]


def convnet_scores(params, X):
    out = X
    for _, layer in _build(params):
        out = layer.forward(out)
    return out


def convnet_loss(params, X, y, reg=0.0):
    net = _build(params)
    out = X
    for _, layer in net:
        out = layer.forward(out)
    n = X.shape[0]
    m = out.max(axis=1, keepdims=True)
    logp = out - m - np.log(np.sum(np.exp(out - m), axis=1, keepdims=True))
    loss = -logp[np.arange(n), y].sum() / n + reg * sum(np.vdot(params[k], params[k]) for k in ("W1", "W2", "W3"))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    d /= n
    grads = {}
    for key, layer in reversed(net):
        if key is None:
            d = layer.backward(d)
            continue
        g = layer.backward(d)
        grads["W" + key] = g["w"] + 2.0 * reg * params["W" + key]
        grads["b" + key] = g["b"]
        if key != "1":
            d = layer.dx
    return loss, grads


def train_convnet(X, y, num_classes):
    rng = np.random.default_rng(2024)
    N, C, H, W = X.shape
    F, hidden = 24, 96
    D = F * (H // 2) * (W // 2)
    params = {
        "W1": rng.standard_normal((F, C, 3, 3)) * np.sqrt(2 / (9 * C)),
        "b1": np.zeros(F),
        "W2": rng.standard_normal((D, hidden)) * np.sqrt(2 / D),
        "b2": np.zeros(hidden),
        "W3": rng.standard_normal((hidden, num_classes)) * np.sqrt(1 / hidden),
        "b3": np.zeros(num_classes),
    }
    m = {k: 0 * v for k, v in params.items()}
    v = {k: 0 * p for k, p in params.items()}
    step = 0
    for epoch in range(15):
        for idx in np.array_split(rng.permutation(N), max(1, N // 64)):
            _, g = convnet_loss(params, X[idx], y[idx], 1e-4)
            step += 1
            for k in params:
                m[k] = 0.9 * m[k] + 0.1 * g[k]
                v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
                params[k] -= 3e-3 * (m[k] / (1 - 0.9**step)) / (np.sqrt(v[k] / (1 - 0.999**step)) + 1e-8)
    return params
