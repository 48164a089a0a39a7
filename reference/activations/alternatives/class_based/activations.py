"""Independent solution, class-based: one object per activation with forward() that
remembers what backward() needs (a PyTorch-like autograd habit); the module-level
functions the grader calls pass the object itself as the cache."""

import math

import numpy as np

_erfc = np.vectorize(math.erfc, otypes=[np.float64])


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


class LeakyReLU:
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.alpha)
        return self.slope * x

    def backward(self, dout):
        return self.slope * dout


class Sigmoid:
    def forward(self, x):
        out = np.empty(x.shape)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        out[~pos] = ex / (1.0 + ex)
        self.out = out
        return out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out * self.out)


class GELU:
    def forward(self, x):
        self.x = x
        self.cdf = 0.5 * _erfc(-x / math.sqrt(2.0))
        return x * self.cdf

    def backward(self, dout):
        pdf = np.exp(-0.5 * self.x**2) / math.sqrt(2.0 * math.pi)
        return dout * (self.cdf + self.x * pdf)


def _forward(layer, x):
    return layer.forward(np.asarray(x, dtype=np.float64)), layer


def relu_forward(x):
    return _forward(ReLU(), x)


def relu_backward(dout, cache):
    return cache.backward(dout)


def leaky_relu_forward(x, alpha=0.01):
    return _forward(LeakyReLU(alpha), x)


def leaky_relu_backward(dout, cache):
    return cache.backward(dout)


def sigmoid_forward(x):
    return _forward(Sigmoid(), x)


def sigmoid_backward(dout, cache):
    return cache.backward(dout)


def tanh_forward(x):
    return _forward(Tanh(), x)


def tanh_backward(dout, cache):
    return cache.backward(dout)


def gelu_forward(x):
    return _forward(GELU(), x)


def gelu_backward(dout, cache):
    return cache.backward(dout)
