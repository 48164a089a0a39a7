"""Independent solution with a common base class: CompNode registers itself and
stores its inputs; each node only writes forward() and backward()."""

import numpy as np

import edf


class CompNode:
    def __init__(self, *inputs):
        self.inputs = inputs
        self.value = None
        self.grad = None
        edf.add_node(self)


class VDot(CompNode):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = np.dot(self.a.value, self.b.value)

    def backward(self):
        self.a.grad += np.dot(self.b.value, self.grad)
        self.b.grad += np.outer(self.a.value, self.grad)


class Add(CompNode):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value + self.b.value

    def backward(self):
        for inp in (self.a, self.b):
            inp.grad += self.grad


def _reduce(g, like):
    return np.sum(g) if np.ndim(like) == 0 and np.ndim(g) > 0 else g


class Mul(CompNode):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value * self.b.value

    def backward(self):
        ga = _reduce(self.grad * self.b.value, self.a.value)
        gb = _reduce(self.grad * self.a.value, self.b.value)
        self.a.grad += ga
        self.b.grad += gb


class Sigmoid(CompNode):
    def __init__(self, a):
        super().__init__(a)
        self.a = a

    def forward(self):
        x = np.asarray(self.a.value, dtype=float)
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1 / (1 + np.exp(-x[pos]))
        ex = np.exp(x[~pos])
        out[~pos] = ex / (1 + ex)
        self.value = out

    def backward(self):
        s = self.value
        self.a.grad += self.grad * s * (1 - s)


class SoftMax(CompNode):
    def __init__(self, a):
        super().__init__(a)
        self.a = a

    def forward(self):
        e = np.exp(self.a.value - self.a.value.max())
        self.value = e / e.sum()

    def backward(self):
        p, g = self.value, self.grad
        self.a.grad += p * g - p * np.sum(p * g)


class Log(CompNode):
    def __init__(self, a):
        super().__init__(a)
        self.a = a

    def forward(self):
        self.value = np.log(self.a.value)

    def backward(self):
        self.a.grad += self.grad * (1.0 / self.a.value)


class Aref(CompNode):
    def __init__(self, a, i):
        super().__init__(a, i)
        self.a, self.i = a, i

    def forward(self):
        self.value = self.a.value[self.i.value]

    def backward(self):
        onehot = np.zeros_like(self.a.value)
        onehot[self.i.value] = 1.0
        self.a.grad += onehot * self.grad


class Accuracy(CompNode):
    def __init__(self, a, i):
        super().__init__(a, i)
        self.a, self.i = a, i

    def forward(self):
        self.value = 1.0 if int(np.argmax(self.a.value)) == int(self.i.value) else 0.0

    def backward(self):
        return None
