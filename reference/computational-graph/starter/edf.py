"""edf: a tiny dataflow framework for per-example gradients (read-only; do not edit).

A graph is built by creating objects, inputs first. Every object of the graph has
two attributes:

    value  what it holds or computes: a float64 ndarray, a NumPy/Python float,
           or (for a label Value) an int;
    grad   d loss / d value, the same shape as value (a float64 ndarray, 0-d for
           a scalar); backward() allocates it, the nodes fill it.

The three kinds of objects:

    Value(v)    an input of the graph (an image, a label, a constant). Set its
                .value before each forward(). backward() fills its .grad like any
                other (so a node never has to ask what kind of input it has),
                but sgd() never changes a Value.
    Param(v)    a trainable array (weights, biases). sgd() updates it.
    nodes       computation nodes, the classes of nodes.py. A node's __init__
                stores its input objects as attributes and calls add_node(self).
                Since a node can only be created after its inputs, creation
                order is an evaluation order of the graph.

The registry (module-level lists, in creation order):

    values      every Value
    components  every computation node
    params      every Param

A computation node has two methods:

    forward()   reads its inputs' .value and sets self.value;
    backward()  reads self.grad and ADDS d loss / d input into each input's
                .grad (`inp.grad += ...`, never `inp.grad = ...`): an input may
                feed several nodes, and the same node twice (Mul(s, s)), and
                every consumer adds its share.

The functions:

    forward()       calls forward() of every component in creation order;
    backward(loss)  sets .grad of every Value, component and Param to zeros of
                    the shape of its .value, sets loss.grad to ones (1.0 for a
                    scalar loss), then calls backward() of every component in
                    reverse creation order (components created after `loss`
                    receive no gradient; their backward adds zeros);
    sgd(lr)         p.value -= lr * p.grad for every Param, in place;
    clear()         empties the registry, to start a new graph.

Example (one training step of logistic regression on one example):

    import numpy as np
    import edf
    from nodes import VDot, Add, Sigmoid, Log, Mul

    x = edf.Value(np.array([0.5, -1.0, 2.0]))     # features (3,)
    w = edf.Param(np.zeros((3, 1)))                # weights (3, 1)
    b = edf.Param(np.zeros(1))                     # bias (1,)
    p = Sigmoid(Add(VDot(x, w), b))                # P(y = 1), shape (1,)
    loss = Mul(Log(p), edf.Value(-1.0))            # -log p for a positive example
    edf.forward()
    edf.backward(loss)
    edf.sgd(0.1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Param", "Value", "add_node", "backward", "clear", "components", "forward", "params", "sgd", "values"]

values: list[Value] = []
components: list[Any] = []
params: list[Param] = []


def _as_data(value: Any) -> Any:
    """Labels stay ints; everything else becomes float64 (arrays are copied)."""
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    return np.array(value, dtype=np.float64)


class Value:
    """An input of the graph: holds `.value`; forward() and sgd() never change it.

    `Value(v)`: v is a float64 array, a float (stored as a 0-d float64 array) or an
    int (a label, stored as a Python int). Assign `.value` directly to feed a new
    example (for example `x.value = X[i]`, `y.value = int(labels[i])`).
    """

    def __init__(self, value: Any = None) -> None:
        self.value = _as_data(value)
        self.grad: Any = None
        values.append(self)


class Param:
    """A trainable array: holds `.value` (float64, a copy of what it was given); sgd() updates it."""

    def __init__(self, value: Any) -> None:
        self.value = np.array(value, dtype=np.float64)
        self.grad: Any = None
        params.append(self)


def add_node(node: Any) -> Any:
    """Register a computation node (call it at the end of the node's __init__); returns the node."""
    components.append(node)
    return node


def clear() -> None:
    """Forget every Value, node and Param: the next object created starts a new graph."""
    del values[:]
    del components[:]
    del params[:]


def forward() -> None:
    """Evaluate the graph: forward() of every computation node, in creation order."""
    for node in components:
        node.forward()


def backward(loss: Any) -> None:
    """Fill every .grad with d loss / d value.

    Zeroes the .grad of every Value, computation node and Param (zeros of the
    shape of its .value), sets loss.grad to ones of the shape of loss.value, and
    calls backward() of every computation node in reverse creation order. Call
    forward() first.
    """
    for obj in (*values, *components, *params):
        obj.grad = np.zeros(np.shape(obj.value))
    loss.grad = np.ones(np.shape(loss.value))
    for node in reversed(components):
        node.backward()


def sgd(lr: float) -> None:
    """One step of gradient descent: p.value -= lr * p.grad for every Param (in place)."""
    for p in params:
        p.value -= lr * p.grad
