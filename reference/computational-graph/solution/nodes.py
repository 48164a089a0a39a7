"""Computation nodes for the edf framework (reference solution)."""

import numpy as np

import edf


def _sum_to(grad, shape):
    """Reduce a broadcast gradient back to an operand's shape (scalar operands: sum)."""
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape == tuple(shape):
        return grad
    return np.sum(grad).reshape(shape)


class VDot:
    """Vector times matrix: value = a @ b, a (f,), b (f, g) -> (g,)."""

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = self.a.value @ self.b.value

    def backward(self):
        self.a.grad += self.b.value @ self.grad
        self.b.grad += np.outer(self.a.value, self.grad)


class Add:
    """Element-wise sum of two inputs of the same shape."""

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = self.a.value + self.b.value

    def backward(self):
        self.a.grad += self.grad
        self.b.grad += self.grad


class Mul:
    """Element-wise product; either input may be a scalar (broadcast)."""

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = self.a.value * self.b.value

    def backward(self):
        self.a.grad += _sum_to(self.grad * self.b.value, np.shape(self.a.value))
        self.b.grad += _sum_to(self.grad * self.a.value, np.shape(self.b.value))


class Sigmoid:
    """Element-wise logistic sigmoid, stable for any |a|."""

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        z = np.asarray(self.a.value, dtype=np.float64)
        e = np.exp(-np.abs(z))
        self.value = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def backward(self):
        self.a.grad += self.grad * self.value * (1.0 - self.value)


class SoftMax:
    """Softmax of a vector (k,), shifted by its maximum so large logits do not overflow."""

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        z = self.a.value - np.max(self.a.value)
        e = np.exp(z)
        self.value = e / np.sum(e)

    def backward(self):
        p = self.value
        self.a.grad += p * (self.grad - np.dot(self.grad, p))


class Log:
    """Element-wise natural logarithm (inputs > 0)."""

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = np.log(self.a.value)

    def backward(self):
        self.a.grad += self.grad / self.a.value


class Aref:
    """One entry of a vector: value = a[i], a scalar; i is a node holding an int."""

    def __init__(self, a, i):
        self.a = a
        self.i = i
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = self.a.value[int(self.i.value)]

    def backward(self):
        self.a.grad[int(self.i.value)] += self.grad


class Accuracy:
    """1.0 when argmax(a) == i, else 0.0; passes no gradient."""

    def __init__(self, a, i):
        self.a = a
        self.i = i
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        self.value = float(np.argmax(self.a.value) == int(self.i.value))

    def backward(self):
        pass
