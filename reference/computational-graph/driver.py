"""Drivers for computational-graph: build graphs from the submitted nodes with the edf framework.

Unit tests build one node per row of the inputs (one example each) in a fresh
graph, add a grader-side scalar objective

    L = sum_n <node_n.value, dout[n]>  (+ sum over inputs <input.value, c_input>)

as the last node, run edf.forward() and edf.backward(L), and return the node
values and the inputs' gradients. The optional second term ("fan-out") makes the
grader's objective a second consumer of every input, whose backward runs before
the node's, so a node that assigns instead of adding into .grad loses it.
"""

import numpy as np

import edf
import gradelib
import nodes


class _Objective:
    """Grader-side scalar loss: sum of <node.value, weight> over its terms."""

    def __init__(self, terms):
        self.terms = terms
        self.value = None
        self.grad = None
        edf.add_node(self)

    def forward(self):
        total = 0.0
        for node, w, what in self.terms:
            if what is not None:
                _check_value(node, np.shape(w), what)
            total += float(np.sum(_array(node.value, f"{what}.value") * w))
        self.value = total

    def backward(self):
        for node, w, _ in self.terms:
            node.grad += self.grad * w


def _array(value, what):
    if value is None:
        raise gradelib.SubmissionTypeError(f"{what} is None: was it ever set?")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise gradelib.SubmissionTypeError(f"{what} must be a float array; it is {gradelib.describe(value)}") from None
    if arr.dtype != np.float64 or arr.dtype.hasobject:
        raise gradelib.SubmissionTypeError(f"{what} must be a float array; it is {gradelib.describe(value)}")
    return arr


def _stack(items, what):
    arrays = [_array(v, what) for v in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise gradelib.SubmissionTypeError(
            f"{what} has different shapes for inputs of the same shape: {sorted(shapes)}"
        )
    return np.stack(arrays)


def _check_value(node, shape, cls):
    value = getattr(node, "value", None)
    try:
        got = np.shape(value)
    except Exception:
        got = None
    if value is None or got != tuple(shape):
        what = "a scalar (shape ())" if tuple(shape) == () else f"an array of shape {tuple(shape)}"
        shown = gradelib.describe(value)
        if got is not None and value is not None and not isinstance(value, np.ndarray):
            shown += f" of shape {got}"
        raise gradelib.SubmissionTypeError(f"{cls}.forward must set self.value to {what}; it set {shown}")


def _node_test(case, cls, inputs, shared=(), labels=None):
    """Build `cls(*inputs[, label])` once per row; return values, gradients and numeric gradients."""
    edf.clear()
    dout = case["dout"]
    n = dout.shape[0]
    made = {}
    for name in inputs:
        if name in shared:
            made[name] = edf.Param(case[name])
        else:
            made[name] = [edf.Param(case[name][r]) for r in range(n)]

    def arg(name, r):
        return made[name] if name in shared else made[name][r]

    node_cls = getattr(nodes, cls)
    outs = []
    for r in range(n):
        args = [arg(name, r) for name in inputs]
        if labels is not None:
            args.append(edf.Value(int(case[labels][r])))
        outs.append(node_cls(*args))
    terms = [(out, dout[r], cls) for r, out in enumerate(outs)]
    for name in inputs:
        if "c_" + name in case:
            c = case["c_" + name]
            terms += [(made[name], c, None)] if name in shared else [(made[name][r], c[r], None) for r in range(n)]
    objective = _Objective(terms)

    edf.forward()
    values = _stack([out.value for out in outs], f"{cls}.value")
    edf.backward(objective)

    result = {"value": values}
    for name in inputs:
        if name in shared:
            result["d" + name] = _array(made[name].grad, f"the gradient of {cls}'s input {name}")
        else:
            result["d" + name] = _stack([p.grad for p in made[name]], f"the gradient of {cls}'s input {name}")

    if case["numgrad"]:

        def loss():
            edf.forward()
            return objective.value

        numeric = {}
        for name in inputs:
            if name in shared:
                numeric["d" + name] = gradelib.numeric_gradient(loss, made[name].value)
            else:
                numeric["d" + name] = np.stack([gradelib.numeric_gradient(loss, p.value) for p in made[name]])
        result["@numgrad"] = numeric
    return result


def vdot(case):
    return _node_test(case, "VDot", ["x", "w"], shared=("w",))


def add(case):
    return _node_test(case, "Add", ["a", "b"])


def mul(case):
    return _node_test(case, "Mul", ["a", "b"])


def sigmoid(case):
    return _node_test(case, "Sigmoid", ["a"])


def softmax(case):
    return _node_test(case, "SoftMax", ["a"])


def log(case):
    return _node_test(case, "Log", ["a"])


def aref(case):
    return _node_test(case, "Aref", ["a"], labels="i")


def accuracy(case):
    return _node_test(case, "Accuracy", ["a"], labels="i")


def _build_graph(case):
    """Two-layer net over several examples sharing W1, b1, W2, b2; mean cross-entropy loss.

    Per example: s = Sigmoid(VDot(x, W1) + b1); u = s + s * s (s feeds three inputs);
    p = SoftMax(VDot(u, W2) + b2); loss_e = Log(Aref(p, y)); loss = -(sum_e loss_e) / E.
    """
    edf.clear()
    weights = {k: edf.Param(case[k]) for k in ("W1", "b1", "W2", "b2")}
    X, y = case["X"], case["y"]
    total = None
    for e in range(X.shape[0]):
        x = edf.Value(X[e])
        label = edf.Value(int(y[e]))
        s = nodes.Sigmoid(nodes.Add(nodes.VDot(x, weights["W1"]), weights["b1"]))
        u = nodes.Add(s, nodes.Mul(s, s))
        p = nodes.SoftMax(nodes.Add(nodes.VDot(u, weights["W2"]), weights["b2"]))
        term = nodes.Log(nodes.Aref(p, label))
        total = term if total is None else nodes.Add(total, term)
    loss = nodes.Mul(total, edf.Value(-1.0 / X.shape[0]))
    return weights, loss


def graph(case):
    weights, loss = _build_graph(case)
    edf.forward()
    _check_value(loss, (), "Mul")
    value = _array(loss.value, "the loss")
    edf.backward(loss)
    result = {"loss": value}
    for k, p in weights.items():
        result["d" + k] = _array(p.grad, f"the gradient of {k}")

    def objective():
        edf.forward()
        return loss.value

    result["@numgrad"] = {"d" + k: gradelib.numeric_gradient(objective, p.value) for k, p in weights.items()}
    return result


# The end-to-end test: a 784 -> 64 -> 10 sigmoid/softmax net built from the submitted
# nodes, trained per example by edf.sgd. Fixed initialisation and example order.
HIDDEN = 64
EPOCHS = 4
LEARNING_RATE = 0.1


def train_mnist(data):
    X = np.asarray(data["X_train"], dtype=np.float64) / 255.0
    y = np.asarray(data["y_train"], dtype=np.int64)
    X_test = np.asarray(data["X_test"], dtype=np.float64) / 255.0
    rng = np.random.default_rng(0)
    d, classes = X.shape[1], 10

    edf.clear()
    x = edf.Value(np.zeros(d))
    label = edf.Value(0)
    W1 = edf.Param(rng.standard_normal((d, HIDDEN)) / np.sqrt(d))
    b1 = edf.Param(np.zeros(HIDDEN))
    W2 = edf.Param(rng.standard_normal((HIDDEN, classes)) / np.sqrt(HIDDEN))
    b2 = edf.Param(np.zeros(classes))
    h = nodes.Sigmoid(nodes.Add(nodes.VDot(x, W1), b1))
    p = nodes.SoftMax(nodes.Add(nodes.VDot(h, W2), b2))
    loss = nodes.Mul(nodes.Log(nodes.Aref(p, label)), edf.Value(-1.0))

    losses, accuracy = [], []
    for _ in range(EPOCHS):
        total, correct = 0.0, 0
        for i in rng.permutation(X.shape[0]):
            x.value = X[i]
            label.value = int(y[i])
            edf.forward()
            correct += _predicts(p.value, label.value)
            edf.backward(loss)
            edf.sgd(LEARNING_RATE)
            total += float(np.sum(loss.value))
        losses.append(total / X.shape[0])
        accuracy.append(correct / X.shape[0])

    pred = np.zeros(X_test.shape[0], dtype=np.int64)
    label.value = 0
    for j in range(X_test.shape[0]):
        x.value = X_test[j]
        edf.forward()
        scores = _array(p.value, "SoftMax.value")
        if scores.shape != (classes,):
            raise gradelib.SubmissionTypeError(f"SoftMax.value must have shape ({classes},); it has {scores.shape}")
        pred[j] = int(np.argmax(scores))
    history = {
        "loss": np.asarray(losses, dtype=np.float64),
        "train_accuracy": np.asarray(accuracy, dtype=np.float64),
        "per": "epoch",
    }
    return {"pred": pred, "history": history}


def _predicts(probabilities, label):
    """1 when the SoftMax's output picks `label` (the training accuracy, before this example's update)."""
    try:
        values = np.asarray(probabilities, dtype=np.float64).reshape(-1)
        return int(values.size > 0 and int(np.argmax(values)) == label)
    except (TypeError, ValueError):
        return 0
