"""Drivers for linear-classifiers.

Unit calls run under np.errstate(over="raise", invalid="raise", divide="raise"). If
that raises FloatingPointError, the call runs again with the warnings ignored, its
values are compared as usual, and the result `overflow_warnings` is 1 instead of
the reference's 0, so the test fails (the statement promises no overflow). Small
cases also return the numeric gradient of the submitted loss with respect to the
scores (centred differences, h = 1e-5) under "@numgrad".

Training drivers train on X_train / 255 and predict argmax(X_test / 255 @ W + b).
Every call of softmax_loss (svm_loss) during training is a step of the history (its
loss, and the correct predictions of its scores for the accuracy per epoch).
"""

import numpy as np

import gradelib
import classifiers


def _guarded(call):
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def _loss_test(name, case, **kwargs):
    fn = getattr(classifiers, name)
    s, y = case["scores"], case["y"]

    def call():
        return gradelib.expect_tuple(fn(s.copy(), y.copy(), **kwargs), 2, name)

    (loss, dscores), warned = _guarded(call)
    result = {"loss": loss, "dscores": dscores, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {"dscores": gradelib.numeric_gradient(lambda: call()[0], s)}
    return result


def softmax_loss(case):
    return _loss_test("softmax_loss", case)


def svm_loss(case):
    if case["default_delta"]:
        return _loss_test("svm_loss", case)  # relies on the default delta = 1.0
    return _loss_test("svm_loss", case, delta=case["delta"])


def _train(name, data):
    X = np.asarray(data["X_train"], dtype=np.float64) / 255.0
    y = np.asarray(data["y_train"], dtype=np.int64)
    X_test = np.asarray(data["X_test"], dtype=np.float64) / 255.0
    d, c = X.shape[1], 10
    np.random.seed(0)  # students who use the legacy global generator get reproducible runs
    loss = "softmax_loss" if name == "train_softmax" else "svm_loss"
    with gradelib.training_log(classifiers, loss, X.shape[0], labels=1, predict=_predicted) as log:
        trained = getattr(classifiers, name)(X, y, c)
    W, b = gradelib.expect_tuple(trained, 2, name)
    try:
        W = np.asarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        raise gradelib.SubmissionTypeError(
            f"{name} must return (W, b) arrays; it returned W = {gradelib.describe(W)}, b = {gradelib.describe(b)}"
        ) from None
    if W.shape != (d, c):
        extra = " (transposed)" if W.shape == (c, d) else ""
        raise gradelib.SubmissionTypeError(f"{name} must return W of shape ({d}, {c}); it has shape {W.shape}{extra}")
    if b.shape != (c,):
        raise gradelib.SubmissionTypeError(f"{name} must return b of shape ({c},); it has shape {b.shape}")
    with np.errstate(all="ignore"):
        pred = np.argmax(X_test @ W + b, axis=1).astype(np.int64)
    return {"pred": pred, "history": log.history()}


def _predicted(arguments):
    """The labels softmax_loss / svm_loss(scores, y)'s scores predict: their argmax."""
    return np.argmax(np.asarray(arguments[0]), axis=1)


def train_softmax(data):
    return _train("train_softmax", data)


def train_svm(data):
    return _train("train_svm", data)
