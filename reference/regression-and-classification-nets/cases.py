"""Test-case generators for regression-and-classification-nets.

Hidden pre-activations a = X @ W1 + b1 are kept at least `margin` away from 0
(ReLU's kink): a bias b1[j] is redrawn while any entry of column j is too close.
`activation` None means the driver calls regression_net_loss without it (the
default, "relu"). `logit_scale` > 0 makes the classification net's output
logits span [-logit_scale, logit_scale] (the stress case): the largest logit
gets y = 0, the smallest y = 1.
"""

import numpy as np


def _first_layer(rng, n, d, h, margin):
    X = rng.standard_normal((n, d))
    W1 = 1.5 * rng.standard_normal((d, h)) / np.sqrt(d)
    b1 = 0.5 * rng.standard_normal(h)
    for _ in range(1000):
        bad = (np.abs(X @ W1 + b1) < margin).any(axis=0)
        if not bad.any():
            break
        b1[bad] = 0.5 * rng.standard_normal(int(bad.sum()))
    else:
        raise RuntimeError("could not keep the pre-activations away from 0")
    return X, W1, b1


def regression(rng, n=6, d=4, h=5, k=3, activation="relu", margin=0.02, numgrad=True):
    X, W1, b1 = _first_layer(rng, n, d, h, margin)
    params = {
        "W1": W1,
        "b1": b1,
        "W2": rng.standard_normal((h, k)) / np.sqrt(h),
        "b2": 0.1 * rng.standard_normal(k),
    }
    Y = rng.standard_normal((n, k))
    return {"params": params, "X": X, "Y": Y, "activation": activation, "numgrad": numgrad}


def classification(rng, n=8, d=3, h=4, logit_scale=0.0, margin=0.02, numgrad=True):
    X, W1, b1 = _first_layer(rng, n, d, h, margin)
    W2 = rng.standard_normal((h, 1)) / np.sqrt(h)
    b2 = 0.1 * rng.standard_normal(1)
    y = rng.integers(0, 2, n).astype(np.int64)
    if n >= 2:
        y[rng.permutation(n)[:2]] = [0, 1]  # both classes present
    if logit_scale > 0:
        # rescale and shift the output layer so that the logits span exactly [-logit_scale, logit_scale]
        z = (np.tanh(X @ W1 + b1) @ W2)[:, 0]
        c = logit_scale / ((z.max() - z.min()) / 2.0)
        W2 = c * W2
        b2 = np.array([-c * (z.max() + z.min()) / 2.0])
        y[np.argmax(z)], y[np.argmin(z)] = 0, 1  # confidently wrong at both ends
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return {"params": params, "X": X, "y": y, "numgrad": numgrad}
