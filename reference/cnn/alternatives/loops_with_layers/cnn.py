"""Independent solution that reuses its own naive layers.py (loops, CS231n's
layers.py habits), composed like CS231n's ThreeLayerConvNet; the training uses a
vectorised copy of the forward pass for speed and plain SGD with momentum."""

import numpy as np

import layers

CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def convnet_scores(params, X):
    c, _ = layers.conv_forward_naive(X, params["W1"], params["b1"], CONV)
    r, _ = layers.relu_forward(c)
    p, _ = layers.max_pool_forward_naive(r, POOL)
    h, _ = layers.affine_forward(p, params["W2"], params["b2"])
    hr, _ = layers.relu_forward(h)
    s, _ = layers.affine_forward(hr, params["W3"], params["b3"])
    return s


def convnet_loss(params, X, y, reg=0.0):
    c, conv_cache = layers.conv_forward_naive(X, params["W1"], params["b1"], CONV)
    r, relu1_cache = layers.relu_forward(c)
    p, pool_cache = layers.max_pool_forward_naive(r, POOL)
    h, aff2_cache = layers.affine_forward(p, params["W2"], params["b2"])
    hr, relu2_cache = layers.relu_forward(h)
    s, aff3_cache = layers.affine_forward(hr, params["W3"], params["b3"])
    loss, ds = layers.softmax_loss(s, y)
    loss += reg * sum(np.sum(params[k] * params[k]) for k in ("W1", "W2", "W3"))
    grads = {}
    dhr, grads["W3"], grads["b3"] = layers.affine_backward(ds, aff3_cache)
    dh = layers.relu_backward(dhr, relu2_cache)
    dp, grads["W2"], grads["b2"] = layers.affine_backward(dh, aff2_cache)
    dr = layers.max_pool_backward_naive(dp, pool_cache)
    dc = layers.relu_backward(dr, relu1_cache)
    _, grads["W1"], grads["b1"] = layers.conv_backward_naive(dc, conv_cache)
    for k in ("W1", "W2", "W3"):
        grads[k] += 2 * reg * params[k]
    return loss, grads


def _fast_loss_grads(params, X, y, reg):
    """The same network vectorised with einsum (the naive layers are too slow to train with)."""
    N, C, H, W = X.shape
    xp = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    patches = np.stack([xp[:, :, a : a + H, e : e + W] for a in range(3) for e in range(3)], axis=2)
    w = params["W1"].reshape(params["W1"].shape[0], C, 9)
    c = np.einsum("nckhw,fck->nfhw", patches, w) + params["b1"][None, :, None, None]
    r = np.maximum(c, 0)
    F = c.shape[1]
    win = r.reshape(N, F, H // 2, 2, W // 2, 2)
    p = win.max(axis=(3, 5))
    flat = p.reshape(N, -1)
    h = flat @ params["W2"] + params["b2"]
    hr = np.maximum(h, 0)
    s = hr @ params["W3"] + params["b3"]
    _, ds = layers.softmax_loss(s, y)
    g = {"W3": hr.T @ ds + 2 * reg * params["W3"], "b3": ds.sum(0)}
    dh = (ds @ params["W3"].T) * (h > 0)
    g["W2"] = flat.T @ dh + 2 * reg * params["W2"]
    g["b2"] = dh.sum(0)
    dp = (dh @ params["W2"].T).reshape(p.shape)
    mask = win == p[:, :, :, None, :, None]
    dc = (mask * dp[:, :, :, None, :, None]).reshape(c.shape) * (c > 0)
    g["W1"] = np.einsum("nfhw,nckhw->fck", dc, patches).reshape(params["W1"].shape) + 2 * reg * params["W1"]
    g["b1"] = dc.sum(axis=(0, 2, 3))
    return g


def train_convnet(X, y, num_classes):
    np.random.seed(11)
    N, C, H, W = X.shape
    F, hidden = 24, 100
    D = F * (H // 2) * (W // 2)
    params = {
        "W1": np.random.randn(F, C, 3, 3) * np.sqrt(2.0 / (C * 9)),
        "b1": np.zeros(F),
        "W2": np.random.randn(D, hidden) * np.sqrt(2.0 / D),
        "b2": np.zeros(hidden),
        "W3": np.random.randn(hidden, num_classes) * 0.1,
        "b3": np.zeros(num_classes),
    }
    vel = {k: np.zeros_like(v) for k, v in params.items()}
    for epoch in range(25):
        lr = 0.03 if epoch < 18 else 0.006
        perm = np.random.permutation(N)
        for start in range(0, N, 50):
            idx = perm[start : start + 50]
            grads = _fast_loss_grads(params, X[idx], y[idx], 5e-4)
            for k in params:
                vel[k] = 0.9 * vel[k] - lr * grads[k]
                params[k] += vel[k]
    return params
