"""Test-case generators for layers.

Every generator returns the inputs of one forward call plus `dout` (the upstream
gradient for the backward tests) and `numgrad` (whether the driver also returns
centred-difference gradients; only on small inputs, each element costs two
forward calls).

Ties and kinks are kept out: max-pool inputs are a shuffled grid of distinct
values (gap far above h = 1e-5), so every window has a unique maximum; batch-norm
columns get different means and scales from 0.05 to 3, so eps placement and the
variance path are visible in every case.
"""

import numpy as np


def affine(rng, shape=(4, 5), out=3, numgrad=True):
    shape = tuple(int(s) for s in shape)
    D = int(np.prod(shape[1:]))
    return {
        "x": rng.standard_normal(shape),
        "w": rng.standard_normal((D, out)) / np.sqrt(D),
        "b": rng.standard_normal(out),
        "dout": rng.standard_normal((shape[0], out)),
        "numgrad": numgrad,
    }


def dropout(rng, shape=(4, 5), p_keep=0.7, mode="train", numgrad=True):
    shape = tuple(int(s) for s in shape)
    mask = rng.random(shape) < p_keep
    flat = mask.reshape(-1)
    flat[0], flat[-1] = True, False  # both kept and dropped entries, always
    return {
        "x": rng.standard_normal(shape),
        "p_keep": float(p_keep),
        "mask": mask,
        "mode": mode,
        "dout": rng.standard_normal(shape),
        "numgrad": numgrad,
    }


def _column_scales(rng, D):
    scales = np.geomspace(0.05, 3.0, D)
    return rng.permutation(scales)


def batchnorm(rng, N=6, D=4, mode="train", eps=None, momentum=None, offset=2.0, numgrad=True):
    scales = _column_scales(rng, D)
    means = offset * rng.standard_normal(D)
    x = means + scales * rng.standard_normal((N, D))
    bn_param = {
        "mode": mode,
        "eps": 1e-5 if eps is None else float(eps),
        "momentum": 0.9 if momentum is None else float(momentum),
        "running_mean": means + 0.3 * scales * rng.standard_normal(D),
        "running_var": (_column_scales(rng, D) * rng.uniform(0.8, 1.25, D)) ** 2,
    }
    return {
        "x": x,
        "gamma": rng.uniform(0.5, 2.0, D) * rng.choice([-1.0, 1.0], D),
        "beta": rng.standard_normal(D),
        "bn_param": bn_param,
        "dout": rng.standard_normal((N, D)),
        "numgrad": numgrad,
    }


def conv(rng, N=2, C=2, H=5, W=5, F=3, HH=3, WW=3, stride=1, pad=1, numgrad=True):
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    assert (H + 2 * pad - HH) % stride == 0 and (W + 2 * pad - WW) % stride == 0
    return {
        "x": rng.standard_normal((N, C, H, W)),
        "w": rng.standard_normal((F, C, HH, WW)) / np.sqrt(C * HH * WW),
        "b": rng.standard_normal(F),
        "conv_param": {"stride": int(stride), "pad": int(pad)},
        "dout": rng.standard_normal((N, F, Ho, Wo)),
        "numgrad": numgrad,
    }


def pool(rng, N=2, C=2, H=4, W=4, ph=2, pw=2, stride=2, numgrad=True):
    assert (H - ph) % stride == 0 and (W - pw) % stride == 0
    n = N * C * H * W
    gap = 4.0 / n
    grid = (rng.permutation(n) - n / 2.0) * gap
    x = (grid + rng.uniform(-gap / 4, gap / 4, n)).reshape(N, C, H, W)
    Ho, Wo = (H - ph) // stride + 1, (W - pw) // stride + 1
    return {
        "x": x,
        "pool_param": {"pool_height": int(ph), "pool_width": int(pw), "stride": int(stride)},
        "dout": rng.standard_normal((N, C, Ho, Wo)),
        "numgrad": numgrad,
    }
