"""Element-wise activations, forward and backward (reference solution).

Every *_forward(x) returns (out, cache) with out of x's shape; every
*_backward(dout, cache) returns dx of x's shape. float64, any input shape.
"""

import math

import numpy as np

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _sigmoid(x):
    """1 / (1 + exp(-x)) without overflow: only exp(-|x|) <= 1 is ever computed."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _phi_cdf(x):
    """Standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2."""
    return 0.5 * _erfc(-x / _SQRT2)


def relu_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    x = cache
    return dout * (x > 0)


def leaky_relu_forward(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha)


def sigmoid_forward(x):
    out = _sigmoid(np.asarray(x, dtype=np.float64))
    return out, out


def sigmoid_backward(dout, cache):
    s = cache
    return dout * s * (1.0 - s)


def tanh_forward(x):
    out = np.tanh(np.asarray(x, dtype=np.float64))
    return out, out


def tanh_backward(dout, cache):
    t = cache
    return dout * (1.0 - t * t)


def gelu_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return x * _phi_cdf(x), x


def gelu_backward(dout, cache):
    x = cache
    density = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return dout * (_phi_cdf(x) + x * density)
