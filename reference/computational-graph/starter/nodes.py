"""Computation nodes for the edf framework: fill in every forward() and backward().

Read edf.py (beside this file, read-only) first. The conventions, for every class:

- The constructor is written for you: it stores the input objects (Value,
  Param or other nodes) as attributes (self.a, self.b, self.i) and registers
  the node with edf.add_node(self). Keep that; you may add attributes.
- forward() reads the inputs' .value (never their .grad) and sets self.value:
  a float64 ndarray, or a scalar (a NumPy float or a 0-d array) where stated.
  Inputs' values are float64 arrays or scalars; self.i.value is an int.
- backward() is called after forward(), once edf.backward(loss) has set
  self.grad = d loss / d self.value (same shape as self.value). It ADDS
  d loss / d input into each input's .grad, which already exists, has the shape
  of that input's .value, and may already hold other consumers' shares:
      self.a.grad += ...        # right
      self.a.grad = ...         # wrong: throws away what is already there
  It must not change self.grad, any .value, or an index input's .grad.
- Everything is per example: there is no batch axis.

Each method here raises NotImplementedError until you write it.
"""

import numpy as np

import edf


class VDot:
    """Vector times matrix: value = a @ b.

    a: vector node, value shape (f,); b: matrix node, value shape (f, g).
    forward: self.value = a.value @ b.value, shape (g,).
    backward: adds  b.value @ self.grad            (shape (f,))   into a.grad
              and   the outer product of a.value and self.grad (shape (f, g)) into b.grad.
    """

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("VDot.forward is not implemented")

    def backward(self):
        raise NotImplementedError("VDot.backward is not implemented")


class Add:
    """Element-wise sum: value = a + b, a and b of the same shape (any shape, scalars too).

    backward: adds self.grad into a.grad and into b.grad.
    """

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Add.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Add.backward is not implemented")


class Mul:
    """Element-wise product: value = a * b.

    a and b have the same shape, or one of them is a scalar (shape ()) that
    multiplies every entry of the other; value has the shape of the larger.
    backward: adds self.grad * b.value into a.grad and self.grad * a.value into
    b.grad, each reduced to its input's shape: a scalar input receives the SUM
    over all entries (its .grad has shape ()).
    """

    def __init__(self, a, b):
        self.a = a
        self.b = b
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Mul.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Mul.backward is not implemented")


class Sigmoid:
    """Element-wise logistic sigmoid: value = 1 / (1 + exp(-a)), same shape as a.

    backward: adds self.grad * value * (1 - value) into a.grad (the derivative
    written with the OUTPUT value, not the input).
    """

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Sigmoid.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Sigmoid.backward is not implemented")


class SoftMax:
    """Softmax of a vector: value[j] = exp(a[j]) / sum_k exp(a[k]), a and value of shape (k,).

    Must stay finite for logits in the thousands: subtract max(a) before exp.
    backward: with p = value and g = self.grad, adds p * (g - <g, p>) into a.grad.
    """

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("SoftMax.forward is not implemented")

    def backward(self):
        raise NotImplementedError("SoftMax.backward is not implemented")


class Log:
    """Element-wise natural logarithm: value = log(a), same shape as a (scalars too); a > 0.

    backward: adds self.grad / a.value into a.grad.
    """

    def __init__(self, a):
        self.a = a
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Log.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Log.backward is not implemented")


class Aref:
    """One entry of a vector: value = a.value[i], a scalar.

    a: vector node, value shape (k,); i: a node (usually a Value) whose .value is
    an int in [0, k), read at every forward/backward (int(self.i.value)).
    backward: adds self.grad into entry i of a.grad (nothing into i.grad).
    """

    def __init__(self, a, i):
        self.a = a
        self.i = i
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Aref.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Aref.backward is not implemented")


class Accuracy:
    """Whether a vector's largest entry is at index i: value = 1.0 if argmax(a.value) == i else 0.0.

    a: vector node, value shape (k,); i: a node whose .value is an int.
    value is a float scalar. backward adds nothing anywhere (accuracy has no gradient).
    """

    def __init__(self, a, i):
        self.a = a
        self.i = i
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        raise NotImplementedError("Accuracy.forward is not implemented")

    def backward(self):
        raise NotImplementedError("Accuracy.backward is not implemented")
