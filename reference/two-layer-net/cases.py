"""Test-case generators for two-layer-net.

params W1 (D, H), b1 (H,), W2 (H, C), b2 (C,), X (N, D), labels y (N,) int64:
class indices for output="softmax", 0/1 (C = 1) for output="sigmoid". Hidden
pre-activations stay moderate (|a| of a few units). `out_scale` > 0 rescales W2 and
b2 so that the largest output score has magnitude `out_scale` (the stress tests), and
`out_offset` is then added to b2 (so to every score). The softmax stress test uses a
scale of 100 and an offset of 1000: exp() of the raw scores overflows, so the max
shift is needed, while no true-class score lies more than 200 below its row's
maximum, so log p_{i,y_i} >= -200 - log C and the textbook softmax (shift, exp,
normalise, log of the true-class probability) stays finite like log-softmax. In the
sigmoid stress test the most extreme logit (|z| = out_scale) gets the wrong label, so
a BCE computed as log of a probability meets log(0) on every draw.
"""

import numpy as np


def net(rng, n=5, d=4, h=6, c=3, reg=0.0, output="softmax", out_scale=0.0, out_offset=0.0, numgrad=True):
    if output == "sigmoid":
        c = 1
    params = {
        "W1": 1.5 * rng.standard_normal((d, h)) / np.sqrt(d),
        "b1": 0.2 * rng.standard_normal(h),
        "W2": 2.0 * rng.standard_normal((h, c)) / np.sqrt(h),
        "b2": 0.2 * rng.standard_normal(c),
    }
    X = rng.standard_normal((n, d))
    if output == "sigmoid":
        y = rng.integers(0, 2, n).astype(np.int64)
        if n >= 2:
            y[0], y[1] = 0, 1
    else:
        y = rng.integers(0, c, n).astype(np.int64)
        if n >= c:
            y[:c] = rng.permutation(c)
    if out_scale > 0:
        hid = 1.0 / (1.0 + np.exp(-(X @ params["W1"] + params["b1"])))
        k = out_scale / np.max(np.abs(hid @ params["W2"] + params["b2"]))
        params["W2"] *= k
        params["b2"] *= k
        if output == "sigmoid":
            # the most extreme logit gets the wrong label: log of its probability is log(0) whatever the draw
            z = (hid @ params["W2"] + params["b2"])[:, 0]
            top = int(np.argmax(np.abs(z)))
            y[top] = 0 if z[top] > 0 else 1
    params["b2"] += out_offset
    return {"params": params, "X": X, "y": y, "reg": float(reg), "output": output, "numgrad": numgrad}
