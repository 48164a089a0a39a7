"""Test-case generators for cnn.

`net` draws parameters and images for the fixed architecture
conv 3x3 (pad 1) -> ReLU -> 2x2 max pool -> affine -> ReLU -> affine,
makes every filter and hidden unit active for some example (see `_activate`),
and redraws until no input sits near a kink: every conv output and every hidden
pre-activation is at least `margin` away from 0, and in every pooling window the
largest ReLU output beats the runner-up by `margin` (windows whose maximum is 0
are harmless: their gradient is 0 either way). With h = 1e-5 centred
differences then stay on one side of every kink. Every hidden unit and every
filter is also active for some example, so no gradient row is trivially zero.

`score_scale` > 0 rescales W3 so that the largest |score - b3| equals it, and
`score_offset` adds a constant to b3 (so to every score). The stress case uses a
scale of 100 and an offset of 1000: exp() of the raw scores overflows, so the max
shift is needed, while no true-class score lies more than about 200 below its row's
maximum, so log p_{i,y_i} >= -201 - log K and the textbook softmax (shift, exp,
normalise, log of the true-class probability) stays finite like log-softmax.
"""

import numpy as np


def _forward(params, X):
    N, C, H, W = X.shape
    w = params["W1"]
    F = w.shape[0]
    xp = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((N, F, H, W))
    for a in range(3):
        for e in range(3):
            conv += np.einsum("nchw,fc->nfhw", xp[:, :, a : a + H, e : e + W], w[:, :, a, e])
    conv += params["b1"][None, :, None, None]
    r = np.maximum(conv, 0.0)
    win = r.reshape(N, F, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, F, H // 2, W // 2, 4)
    hidden = win.max(axis=-1).reshape(N, -1) @ params["W2"] + params["b2"]
    scores = np.maximum(hidden, 0.0) @ params["W3"] + params["b3"]
    return conv, win, hidden, scores


def _safe(conv, win, hidden, margin):
    if np.abs(conv).min() < margin or np.abs(hidden).min() < margin:
        return False
    if not ((hidden > 0).any(axis=0).all() and (conv > 0).any(axis=(0, 2, 3)).all()):
        return False  # every hidden unit and every filter is active somewhere, so every gradient row is informative
    top = np.sort(win, axis=-1)
    gap = top[..., -1] - top[..., -2]
    return bool(((top[..., -1] == 0.0) | (gap >= margin)).all())


def _draw(rng, N, C, H, W, F, hidden, K):
    D = F * (H // 2) * (W // 2)
    params = {
        "W1": rng.standard_normal((F, C, 3, 3)) * np.sqrt(2.0 / (C * 9)),
        "b1": 0.1 * rng.standard_normal(F),
        "W2": rng.standard_normal((D, hidden)) * np.sqrt(2.0 / D),
        "b2": 0.1 * rng.standard_normal(hidden),
        "W3": rng.standard_normal((hidden, K)) * np.sqrt(1.0 / hidden),
        "b3": 0.1 * rng.standard_normal(K),
    }
    X = rng.uniform(0.0, 1.0, (N, C, H, W))
    return params, X


def _activate(params, X):
    """Turn every filter and hidden unit that no example activates into one that some example does.

    A unit whose pre-activation is <= 0 everywhere has it >= 0 everywhere once its weights and bias
    change sign (the same magnitudes, so the same distance from the kink); filters first, since the
    hidden units read them. With images in [0, 1] and 8 filters or 16 hidden units, a draw has such
    a unit most of the time, and drawing again until none has one failed for about 1 seed in 4.
    """
    conv, _, _, _ = _forward(params, X)
    dead = ~(conv > 0).any(axis=(0, 2, 3))
    params["W1"][dead] *= -1.0
    params["b1"][dead] *= -1.0
    _, _, hidden, _ = _forward(params, X)
    dead = ~(hidden > 0).any(axis=0)
    params["W2"][:, dead] *= -1.0
    params["b2"][dead] *= -1.0


def net(
    rng, N=3, C=1, H=4, W=4, F=2, hidden=5, K=3, reg=0.0, score_scale=0.0, score_offset=0.0, margin=1e-4, numgrad=True
):
    assert H % 2 == 0 and W % 2 == 0
    for _ in range(1000):
        params, X = _draw(rng, N, C, H, W, F, hidden, K)
        _activate(params, X)
        conv, win, hid, scores = _forward(params, X)
        if _safe(conv, win, hid, margin):
            break
    else:
        raise RuntimeError("could not draw a case away from the kinks")
    if score_scale > 0:
        factor = score_scale / np.abs(scores - params["b3"]).max()
        params["W3"] = params["W3"] * factor
    params["b3"] = params["b3"] + score_offset
    y = rng.integers(0, K, N)
    y[: min(N, K)] = rng.permutation(K)[: min(N, K)]  # several classes present
    return {"params": params, "X": X, "y": y.astype(np.int64), "reg": float(reg), "numgrad": numgrad}
