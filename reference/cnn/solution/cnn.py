"""Reference: a small convolutional network for 8x8 digits, in float64 NumPy.

conv (F filters, 3x3, stride 1, pad 1) -> ReLU -> 2x2 max pool (stride 2)
-> affine -> ReLU -> affine -> softmax cross-entropy (mean over the batch)
+ reg * (sum W1**2 + sum W2**2 + sum W3**2).

Self-contained: it does not need layers.py.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


# ---------------------------------------------------------------- building blocks

def _conv_forward(x, w, b):
    """3x3 (any odd kernel) cross-correlation, stride 1, 'same' zero padding."""
    pad = w.shape[2] // 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = sliding_window_view(xp, w.shape[2:], axis=(2, 3))  # (N, C, H, W, k, k)
    out = np.einsum("nchwij,fcij->nfhw", cols, w, optimize=True) + b[None, :, None, None]
    return out, cols


def _conv_backward_params(dout, cols):
    """dw and db of the first layer (the input needs no gradient)."""
    dw = np.einsum("nfhw,nchwij->fcij", dout, cols, optimize=True)
    return dw, dout.sum(axis=(0, 2, 3))


def _pool_forward(a):
    """2x2 max pool, stride 2, on (N, F, H, W) with even H, W; returns out and the argmax (0..3) per window."""
    N, F, H, W = a.shape
    win = a.reshape(N, F, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, F, H // 2, W // 2, 4)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], arg


def _pool_backward(dout, arg):
    """Each window's gradient goes to its maximum."""
    N, F, Hp, Wp = dout.shape
    onehot = arg[..., None] == np.arange(4)
    dwin = dout[..., None] * onehot  # (N, F, Hp, Wp, 4)
    return dwin.reshape(N, F, Hp, Wp, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, F, 2 * Hp, 2 * Wp)


def _flatten(p):
    return p.reshape(p.shape[0], -1)


def _unflatten(d, shape):
    return d.reshape(shape)


def _softmax_loss(scores, y):
    """Mean cross-entropy and its gradient with respect to the scores."""
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(N), y].mean()
    dscores = np.exp(logp)
    dscores[np.arange(N), y] -= 1.0
    return loss, dscores / N


def _l2(params, reg):
    return reg * sum(float(np.sum(params[k] ** 2)) for k in ("W1", "W2", "W3"))


def _l2_grad(W, reg):
    return 2.0 * reg * W


# ---------------------------------------------------------------- the network

def _forward(params, X):
    c, cols = _conv_forward(X, params["W1"], params["b1"])
    r = np.maximum(c, 0.0)
    p, arg = _pool_forward(r)
    f = _flatten(p)
    h = f @ params["W2"] + params["b2"]
    hr = np.maximum(h, 0.0)
    scores = hr @ params["W3"] + params["b3"]
    return scores, (cols, c, arg, p.shape, f, h, hr)


def convnet_scores(params, X):
    """Class scores (N, K) (before the softmax) for images X (N, C, H, W)."""
    return _forward(params, X)[0]


def convnet_loss(params, X, y, reg=0.0):
    """(loss, grads): mean softmax cross-entropy + L2 on W1, W2, W3; grads has params' keys and shapes."""
    scores, (cols, c, arg, pshape, f, h, hr) = _forward(params, X)
    data_loss, dscores = _softmax_loss(scores, y)
    loss = data_loss + _l2(params, reg)
    grads = {}
    grads["W3"] = hr.T @ dscores
    grads["b3"] = dscores.sum(axis=0)
    dh = (dscores @ params["W3"].T) * (h > 0)
    grads["W2"] = f.T @ dh
    grads["b2"] = dh.sum(axis=0)
    dp = _unflatten(dh @ params["W2"].T, pshape)
    dc = _pool_backward(dp, arg) * (c > 0)
    grads["W1"], grads["b1"] = _conv_backward_params(dc, cols)
    for k in ("W1", "W2", "W3"):
        grads[k] = grads[k] + _l2_grad(params[k], reg)
    return float(loss), grads


# ---------------------------------------------------------------- training

def init_params(rng, C, H, W, num_classes, F=32, hidden=128):
    D = F * (H // 2) * (W // 2)
    return {
        "W1": rng.standard_normal((F, C, 3, 3)) * np.sqrt(2.0 / (C * 9)),
        "b1": np.zeros(F),
        "W2": rng.standard_normal((D, hidden)) * np.sqrt(2.0 / D),
        "b2": np.zeros(hidden),
        "W3": rng.standard_normal((hidden, num_classes)) * np.sqrt(1.0 / hidden),
        "b3": np.zeros(num_classes),
    }


def train_convnet(X, y, num_classes):
    """Train on X (N, C, H, W) float64 in [0, 1], y (N,) int64; returns the params dict."""
    rng = np.random.default_rng(0)
    N, C, H, W = X.shape
    params = init_params(rng, C, H, W, num_classes)
    lr, beta1, beta2, eps, reg = 2e-3, 0.9, 0.999, 1e-8, 1e-4
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    batch, epochs, t = 64, 20, 0
    for epoch in range(epochs):
        order = rng.permutation(N)
        lr_t = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        for start in range(0, N, batch):
            idx = order[start : start + batch]
            _, grads = convnet_loss(params, X[idx], y[idx], reg)
            t += 1
            for k in params:
                m[k] = beta1 * m[k] + (1 - beta1) * grads[k]
                v[k] = beta2 * v[k] + (1 - beta2) * grads[k] ** 2
                mhat = m[k] / (1 - beta1**t)
                vhat = v[k] / (1 - beta2**t)
                params[k] -= lr_t * mhat / (np.sqrt(vhat) + eps)
    return params
