"""Test-case generators for computational-graph.

Row-batched inputs: the driver builds one node per row (an example), each with
its own Param per row-input; inputs without a row axis (VDot's w) are one Param
shared by all the nodes. `dout[n]` is the upstream gradient of node n; keys
`c_<input>` are the weights of the grader's extra consumer of that input (the
"fan-out" term), so an input's .grad already holds something when the node's
backward runs. `numgrad` says whether the driver computes numeric gradients.
"""

import numpy as np


def _fanout(rng, out, names):
    for name in names:
        out["c_" + name] = rng.standard_normal(np.shape(out[name]))
    return out


def vdot(rng, n=3, f=5, g=3, fanout=False, numgrad=True):
    out = {
        "x": rng.standard_normal((n, f)),
        "w": rng.standard_normal((f, g)),
        "dout": rng.standard_normal((n, g)),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["x", "w"]) if fanout else out


def add(rng, n=3, shape=(4,), fanout=False, numgrad=True):
    shape = tuple(shape)
    out = {
        "a": rng.standard_normal((n, *shape)),
        "b": rng.standard_normal((n, *shape)),
        "dout": rng.standard_normal((n, *shape)),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["a", "b"]) if fanout else out


def mul(rng, n=3, a_shape=(4,), b_shape=(4,), fanout=False, numgrad=True):
    a_shape, b_shape = tuple(a_shape), tuple(b_shape)
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    out = {
        "a": rng.uniform(0.5, 2.0, (n, *a_shape)) * rng.choice([-1.0, 1.0], (n, *a_shape)),
        "b": rng.uniform(0.5, 2.0, (n, *b_shape)) * rng.choice([-1.0, 1.0], (n, *b_shape)),
        "dout": rng.standard_normal((n, *out_shape)),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["a", "b"]) if fanout else out


def sigmoid(rng, n=3, shape=(4,), scale=3.0, fanout=False, numgrad=True):
    shape = tuple(shape)
    out = {
        "a": rng.uniform(-1.0, 1.0, (n, *shape)) * scale,
        "dout": rng.standard_normal((n, *shape)),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["a"]) if fanout else out


def softmax(rng, n=3, k=5, scale=2.0, fanout=False, numgrad=True):
    out = {
        "a": rng.standard_normal((n, k)) * scale,
        "dout": rng.standard_normal((n, k)),
        "numgrad": numgrad,
    }
    if scale > 50:
        # each row's largest logit in [800, 1200]: exp overflows without the max shift
        a = out["a"] + (rng.uniform(800.0, 1200.0, n) - out["a"].max(axis=1))[:, None]
        top = np.argmax(a, axis=1)
        second = (top + rng.integers(1, k, n)) % k
        rows = np.arange(n)
        a[rows, second] = a[rows, top] - rng.uniform(0.5, 2.0, n)  # a runner-up: p is not one-hot
        out["a"] = a
    return _fanout(rng, out, ["a"]) if fanout else out


def log(rng, n=3, shape=(4,), fanout=False, numgrad=True):
    shape = tuple(shape)
    out = {
        "a": rng.uniform(0.2, 3.0, (n, *shape)),
        "dout": rng.standard_normal((n, *shape)),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["a"]) if fanout else out


def aref(rng, n=3, k=5, fanout=False, numgrad=True):
    out = {
        "a": rng.standard_normal((n, k)),
        "i": rng.integers(0, k, n).astype(np.int64),
        "dout": rng.standard_normal(n),
        "numgrad": numgrad,
    }
    return _fanout(rng, out, ["a"]) if fanout else out


def accuracy(rng, n=6, k=5):
    """Rows with a clear maximum; the label is the argmax in about half of them."""
    a = rng.standard_normal((n, k))
    top = rng.integers(0, k, n)
    a[np.arange(n), top] = np.max(a, axis=1) + rng.uniform(0.5, 1.5, n)
    hit = np.arange(n) % 2 == 0
    other = (top + rng.integers(1, k, n)) % k
    i = np.where(hit, top, other).astype(np.int64)
    out = {"a": a, "i": i, "dout": np.zeros(n), "numgrad": False}
    return _fanout(rng, out, ["a"])


def graph(rng, examples=2, f=6, h=5, k=4):
    """A small two-layer graph over several examples sharing one set of Params."""
    return {
        "X": rng.standard_normal((examples, f)),
        "y": rng.integers(0, k, examples).astype(np.int64),
        "W1": rng.standard_normal((f, h)) / np.sqrt(f),
        "b1": rng.standard_normal(h) * 0.1,
        "W2": rng.standard_normal((h, k)) / np.sqrt(h),
        "b2": rng.standard_normal(k) * 0.1,
    }
