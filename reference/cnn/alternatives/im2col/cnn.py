"""Independent solution, im2col style: the convolution is one matrix product over
unrolled 3x3 patches (col2im is not needed: the input needs no gradient), the pool
is done by reshaping, and the softmax is the textbook one (max shift, probabilities,
-log of the true-class probability). Trained with SGD + momentum."""

import numpy as np


def _im2col(X):
    """(N, C, H, W) -> (N*H*W, C*9) patches of the zero-padded input, stride 1."""
    N, C, H, W = X.shape
    xp = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((N, C, 3, 3, H, W))
    for i in range(3):
        for j in range(3):
            cols[:, :, i, j] = xp[:, :, i : i + H, j : j + W]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * H * W, C * 9)


def _forward(params, X):
    N, C, H, W = X.shape
    F = params["W1"].shape[0]
    cols = _im2col(X)
    conv = (cols @ params["W1"].reshape(F, -1).T + params["b1"]).reshape(N, H, W, F).transpose(0, 3, 1, 2)
    relu = np.maximum(conv, 0)
    blocks = relu.reshape(N, F, H // 2, 2, W // 2, 2)
    pooled = blocks.max(axis=(3, 5))
    flat = pooled.reshape(N, -1)
    hid = flat @ params["W2"] + params["b2"]
    hid_relu = np.maximum(hid, 0)
    scores = hid_relu @ params["W3"] + params["b3"]
    return scores, (cols, conv, blocks, pooled, flat, hid, hid_relu)


def convnet_scores(params, X):
    return _forward(params, X)[0]


def convnet_loss(params, X, y, reg=0.0):
    N, C, H, W = X.shape
    F = params["W1"].shape[0]
    scores, (cols, conv, blocks, pooled, flat, hid, hid_relu) = _forward(params, X)
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    loss += reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2) + np.sum(params["W3"] ** 2))
    ds = probs.copy()
    ds[np.arange(N), y] -= 1
    ds /= N
    grads = {"W3": hid_relu.T @ ds + 2 * reg * params["W3"], "b3": ds.sum(axis=0)}
    dh = ds @ params["W3"].T
    dh[hid <= 0] = 0
    grads["W2"] = flat.T @ dh + 2 * reg * params["W2"]
    grads["b2"] = dh.sum(axis=0)
    dpool = (dh @ params["W2"].T).reshape(pooled.shape)
    # Route each window's gradient to its (unique) maximum.
    is_max = blocks == pooled[:, :, :, None, :, None]
    drelu = (is_max * dpool[:, :, :, None, :, None]).reshape(conv.shape)
    dconv = drelu * (conv > 0)
    dconv_rows = dconv.transpose(0, 2, 3, 1).reshape(-1, F)
    grads["W1"] = (dconv_rows.T @ cols).reshape(params["W1"].shape) + 2 * reg * params["W1"]
    grads["b1"] = dconv_rows.sum(axis=0)
    return loss, grads


def train_convnet(X, y, num_classes):
    rng = np.random.default_rng(3)
    N, C, H, W = X.shape
    F, hidden = 16, 64
    D = F * (H // 2) * (W // 2)
    params = {
        "W1": rng.normal(0, np.sqrt(2 / (C * 9)), (F, C, 3, 3)),
        "b1": np.zeros(F),
        "W2": rng.normal(0, np.sqrt(2 / D), (D, hidden)),
        "b2": np.zeros(hidden),
        "W3": rng.normal(0, np.sqrt(1 / hidden), (hidden, num_classes)),
        "b3": np.zeros(num_classes),
    }
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    lr = 0.05
    for epoch in range(30):
        order = rng.permutation(N)
        for s in range(0, N, 32):
            idx = order[s : s + 32]
            _, grads = convnet_loss(params, X[idx], y[idx], reg=1e-4)
            for k in params:
                velocity[k] = 0.9 * velocity[k] - lr * grads[k]
                params[k] += velocity[k]
        if epoch == 20:
            lr *= 0.2
    return params
