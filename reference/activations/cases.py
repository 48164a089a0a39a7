"""Test-case generators for activations.

Inputs stay at least `low` away from 0 (the kink of ReLU and LeakyReLU), so the
derivative is unambiguous and centred differences (h = 1e-5) are exact there.
`large` > 0 replaces about half of the entries by values of magnitude up to
`large` (the overflow stress cases). `alpha` None means "use the default".
"""

import numpy as np


def activation(rng, shape=(4, 5), low=0.05, high=3.0, large=0.0, alpha=None, numgrad=True):
    shape = tuple(shape)
    sign = rng.choice([-1.0, 1.0], shape)
    x = sign * rng.uniform(low, high, shape)
    if large > 0:
        big = rng.random(shape) < 0.5
        x = np.where(big, sign * rng.uniform(large / 20.0, large, shape), x)
        flat = x.reshape(-1)
        flat[0], flat[-1] = large, -large  # both extremes, always
    return {
        "x": x,
        "dout": rng.standard_normal(shape),
        "alpha": alpha,
        "numgrad": numgrad,
    }
