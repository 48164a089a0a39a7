"""Activation functions: forward and backward passes.

Every function works element-wise on a float64 array x of ANY shape
((N, D), (N, C, H, W), (D,), ...):

- NAME_forward(x) returns (out, cache): out has x's shape; cache is anything
  you like (it only goes back into your own NAME_backward).
- NAME_backward(dout, cache) returns dx, the gradient of the loss with respect
  to x, of x's shape; dout is the gradient with respect to out (x's shape).

Only NumPy and the Python standard library are available when grading (no
SciPy). Each function raises NotImplementedError until you write it.
"""

import math

import numpy as np


def relu_forward(x):
    """ReLU: out = max(x, 0).

    x: float64 array of any shape.
    Returns (out, cache): out of x's shape; cache for relu_backward.
    """
    raise NotImplementedError("relu_forward is not implemented")


def relu_backward(dout, cache):
    """Gradient of ReLU: dx = dout where x > 0, 0 where x < 0.

    dout: upstream gradient, the shape of x; cache: from relu_forward.
    Returns dx, the shape of x.
    """
    raise NotImplementedError("relu_backward is not implemented")


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: out = x where x > 0, alpha * x where x < 0.

    x: float64 array of any shape; alpha: the negative-side slope (keyword, default 0.01).
    Returns (out, cache): out of x's shape; cache for leaky_relu_backward.
    """
    raise NotImplementedError("leaky_relu_forward is not implemented")


def leaky_relu_backward(dout, cache):
    """Gradient of leaky ReLU: dx = dout where x > 0, alpha * dout where x < 0.

    dout: upstream gradient, the shape of x; cache: from leaky_relu_forward.
    Returns dx, the shape of x.
    """
    raise NotImplementedError("leaky_relu_backward is not implemented")


def sigmoid_forward(x):
    """Logistic sigmoid: out = 1 / (1 + exp(-x)), computed without overflow for any x.

    x: float64 array of any shape (|x| may be as large as 1000).
    Returns (out, cache): out of x's shape, in [0, 1]; cache for sigmoid_backward.
    """
    raise NotImplementedError("sigmoid_forward is not implemented")


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid: dx = dout * s * (1 - s), with s = sigmoid(x) the forward output.

    dout: upstream gradient, the shape of x; cache: from sigmoid_forward.
    Returns dx, the shape of x.
    """
    raise NotImplementedError("sigmoid_backward is not implemented")


def tanh_forward(x):
    """Hyperbolic tangent: out = tanh(x), without overflow for any x.

    x: float64 array of any shape (|x| may be as large as 1000).
    Returns (out, cache): out of x's shape, in [-1, 1]; cache for tanh_backward.
    """
    raise NotImplementedError("tanh_forward is not implemented")


def tanh_backward(dout, cache):
    """Gradient of tanh: dx = dout * (1 - t**2), with t = tanh(x) the forward output.

    dout: upstream gradient, the shape of x; cache: from tanh_forward.
    Returns dx, the shape of x.
    """
    raise NotImplementedError("tanh_backward is not implemented")


def gelu_forward(x):
    """GELU, exact erf form: out = x * Phi(x), Phi(x) = (1 + erf(x / sqrt(2))) / 2.

    NumPy has no erf: math.erf (standard library) works on one float; apply it
    element-wise, e.g. np.vectorize(math.erf)(a) (or math.erfc, if you prefer).
    Not the tanh approximation.
    x: float64 array of any shape.
    Returns (out, cache): out of x's shape; cache for gelu_backward.
    """
    raise NotImplementedError("gelu_forward is not implemented")


def gelu_backward(dout, cache):
    """Gradient of GELU: dx = dout * (Phi(x) + x * phi(x)), phi(x) = exp(-x**2 / 2) / sqrt(2 pi).

    dout: upstream gradient, the shape of x; cache: from gelu_forward.
    Returns dx, the shape of x.
    """
    raise NotImplementedError("gelu_backward is not implemented")
