"""Drivers for logistic-regression.

Every unit call runs under np.errstate(over="raise", invalid="raise",
divide="raise"). If that raises FloatingPointError, the call runs again with the
warnings ignored, its values are compared as usual, and the result
`overflow_warnings` is 1 instead of the reference's 0, so the test fails (the
statement promises no overflow warnings). Small cases also return numeric
gradients of the submitted loss (centred differences, h = 1e-5) under "@numgrad".
"""

import numpy as np

import gradelib
import logistic


def _guarded(call):
    """(call(), 0.0) if it runs clean with floating-point errors raised, else (call() ignoring them, 1.0)."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return call(), 0.0
    except FloatingPointError:
        with np.errstate(all="ignore"):
            return call(), 1.0


def sigmoid(case):
    z = case["z"]
    a, warned = _guarded(lambda: logistic.sigmoid(z.copy()))
    return {"a": a, "overflow_warnings": warned}


def bce_with_logits(case):
    z, y = case["z"], case["y"]

    def call():
        return gradelib.expect_tuple(logistic.bce_with_logits(z.copy(), y.copy()), 2, "bce_with_logits")

    (loss, dz), warned = _guarded(call)
    result = {"loss": loss, "dz": dz, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {"dz": gradelib.numeric_gradient(lambda: call()[0], z)}
    return result


def logreg_loss_grad(case):
    w, X, y, reg = case["w"], case["X"], case["y"], case["reg"]
    b = np.array(case["b"], dtype=np.float64)  # 0-d, so the numeric gradient can perturb it

    def call():
        out = logistic.logreg_loss_grad(w.copy(), float(b), X.copy(), y.copy(), reg=reg)
        return gradelib.expect_tuple(out, 3, "logreg_loss_grad")

    (loss, dw, db), warned = _guarded(call)
    result = {"loss": loss, "dw": dw, "db": db, "overflow_warnings": warned}
    if case["numgrad"]:
        with np.errstate(all="ignore"):
            result["@numgrad"] = {
                "dw": gradelib.numeric_gradient(lambda: call()[0], w),
                "db": gradelib.numeric_gradient(lambda: call()[0], b),
            }
    return result


def train_logreg(data):
    """Train on the training split with the submitted train_logreg, predict X_test @ w + b > 0.

    Every call of logreg_loss_grad during training is a step of the history (its loss, and its
    correct predictions for the accuracy per epoch).
    """
    X = np.asarray(data["X_train"], dtype=np.float64)
    y = np.asarray(data["y_train"], dtype=np.int64)
    X_test = np.asarray(data["X_test"], dtype=np.float64)
    np.random.seed(0)  # students who use the legacy global generator get reproducible runs
    with gradelib.training_log(logistic, "logreg_loss_grad", X.shape[0], labels=3, predict=_predicted) as log:
        trained = logistic.train_logreg(X.copy(), y.copy())
    w, b = gradelib.expect_tuple(trained, 2, "train_logreg")
    try:
        w = np.asarray(w, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        raise gradelib.SubmissionTypeError(
            f"train_logreg must return (w, b) of numbers; it returned w = {gradelib.describe(w)}, b = {gradelib.describe(b)}"
        ) from None
    d = X.shape[1]
    if w.shape != (d,):
        raise gradelib.SubmissionTypeError(f"train_logreg must return w of shape ({d},); it has shape {w.shape}")
    if b.size != 1:
        raise gradelib.SubmissionTypeError(f"train_logreg must return b as a single number; it has shape {b.shape}")
    with np.errstate(all="ignore"):
        z = X_test @ w + float(b.reshape(-1)[0])
    return {"pred": (z > 0).astype(np.int64), "history": log.history()}


def _predicted(arguments):
    """The labels logreg_loss_grad(w, b, X, y)'s weights predict for its batch: X @ w + b > 0."""
    w, b, X = (np.asarray(a, dtype=np.float64) for a in arguments[:3])
    return (X @ w + b > 0).astype(np.int64)
