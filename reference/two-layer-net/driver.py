"""Drivers for two-layer-net.

Unit calls of two_layer_loss run under np.errstate(over="raise", invalid="raise",
divide="raise"). If that raises FloatingPointError, the call runs again with the
warnings ignored, its values are compared as usual, and the result
`overflow_warnings` is 1 instead of the reference's 0, so the test fails (the
statement promises no overflow). Small cases also return the numeric gradient of
the submitted loss with respect to every parameter (centred differences,
h = 1e-5) under "@numgrad".

The training driver trains on X_train / 255 and predicts
argmax(two_layer_scores(params, X_test / 255)). Every call of two_layer_loss during
training is a step of the history (its loss, and the correct predictions of
two_layer_scores on its batch for the accuracy per epoch).
"""

import numpy as np

import gradelib
import two_layer

KEYS = ["W1", "b1", "W2", "b2"]


def _guarded(call):
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def two_layer_scores(case):
    params, X = case["params"], case["X"]
    scores = two_layer.two_layer_scores({k: params[k].copy() for k in KEYS}, X.copy())
    return {"scores": scores}


def two_layer_loss(case):
    params, X, y, reg, output = case["params"], case["X"], case["y"], case["reg"], case["output"]

    def call():
        out = two_layer.two_layer_loss({k: params[k].copy() for k in KEYS}, X.copy(), y.copy(), reg=reg, output=output)
        loss, grads = gradelib.expect_tuple(out, 2, "two_layer_loss")
        return loss, gradelib.expect_dict(grads, KEYS, "two_layer_loss (its grads)")

    (loss, grads), warned = _guarded(call)
    result = {"loss": loss, **{"d" + k: grads[k] for k in KEYS}, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {"d" + k: gradelib.numeric_gradient(lambda: call()[0], params[k]) for k in KEYS}
    return result


def _array(value, what):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise gradelib.SubmissionTypeError(f"{what} must be a float array; it is {gradelib.describe(value)}") from None


def train_two_layer(data):
    X = np.asarray(data["X_train"], dtype=np.float64) / 255.0
    y = np.asarray(data["y_train"], dtype=np.int64)
    X_test = np.asarray(data["X_test"], dtype=np.float64) / 255.0
    d, c = X.shape[1], 10
    np.random.seed(0)  # students who use the legacy global generator get reproducible runs
    with gradelib.training_log(two_layer, "two_layer_loss", X.shape[0], labels=2, predict=_predicted) as log:
        trained = two_layer.train_two_layer(X, y, c)
    params = gradelib.expect_dict(trained, KEYS, "train_two_layer")
    params = {k: _array(params[k], f"params[{k!r}]") for k in KEYS}
    W1 = params["W1"]
    hidden = W1.shape[1] if W1.ndim == 2 else -1
    expected = {"W1": (d, hidden), "b1": (hidden,), "W2": (hidden, c), "b2": (c,)}
    if W1.ndim != 2 or W1.shape[0] != d:
        raise gradelib.SubmissionTypeError(f"train_two_layer must return W1 of shape ({d}, H); it has shape {W1.shape}")
    for k in KEYS:
        if params[k].shape != expected[k]:
            raise gradelib.SubmissionTypeError(
                f"train_two_layer returned {k} of shape {params[k].shape}; with H = {hidden} it must be {expected[k]}"
            )
    with np.errstate(all="ignore"):
        scores = _array(two_layer.two_layer_scores(params, X_test), "two_layer_scores(params, X_test)")
    if scores.shape != (X_test.shape[0], c):
        raise gradelib.SubmissionTypeError(
            f"two_layer_scores(params, X_test) must have shape ({X_test.shape[0]}, {c}); it has shape {scores.shape}"
        )
    return {"pred": np.argmax(scores, axis=1).astype(np.int64), "history": log.history()}


def _predicted(arguments):
    """The labels two_layer_loss(params, X, y)'s params predict for its batch: argmax of the submitted scores."""
    params, X = arguments[:2]
    return np.argmax(np.asarray(two_layer.two_layer_scores(params, X)), axis=1)
