"""Drivers for cnn.

convnet_loss: calls the submitted convnet_loss on the generated params, X, y and
reg; compares the loss and every gradient; small cases also return numeric
gradients of the submitted loss (centred differences, h = 1e-5) for every
parameter.
convnet_scores: compares the scores.
train_convnet: trains with the submitted train_convnet on the training split
(pixels converted to float64 in [0, 1]) and predicts argmax of the submitted
convnet_scores on the test images. Every call of convnet_loss during training is a
step of the history (its loss, and the correct predictions of convnet_scores on its
batch for the accuracy per epoch).
"""

import copy

import numpy as np

import cnn
import gradelib

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


def _loss(params, X, y, reg):
    value = cnn.convnet_loss(copy.deepcopy(params), X.copy(), y.copy(), reg=reg)
    loss, grads = gradelib.expect_tuple(value, 2, "convnet_loss")
    return loss, grads


def convnet_loss(case):
    params, X, y, reg = case["params"], case["X"], case["y"], case["reg"]
    loss, grads = _loss(params, X, y, reg)
    grads = gradelib.expect_dict(grads, KEYS, "convnet_loss's grads")
    result = {"loss": loss, "grads": grads}
    if case["numgrad"]:

        def objective():
            return _loss(params, X, y, reg)[0]

        result["@numgrad"] = {"grads": {k: gradelib.numeric_gradient(objective, params[k]) for k in KEYS}}
    return result


def convnet_scores(case):
    return {"scores": cnn.convnet_scores(copy.deepcopy(case["params"]), case["X"].copy())}


def _images(X):
    return np.asarray(X, dtype=np.float64) / 16.0


def train_convnet(data):
    X_train, y_train = _images(data["X_train"]), np.asarray(data["y_train"], dtype=np.int64)
    X_test = _images(data["X_test"])
    num_classes = 10
    with gradelib.training_log(cnn, "convnet_loss", X_train.shape[0], labels=2, predict=_predicted) as log:
        params = cnn.train_convnet(X_train, y_train, num_classes)
    if not isinstance(params, dict) or any(k not in params for k in KEYS):
        raise gradelib.SubmissionTypeError(
            f"train_convnet must return a dict with keys {list(KEYS)}; it returned {gradelib.describe(params)}"
        )
    scores = np.asarray(cnn.convnet_scores(params, X_test))
    if scores.shape != (X_test.shape[0], num_classes):
        raise gradelib.SubmissionTypeError(
            f"convnet_scores(params, X_test) must return shape {(X_test.shape[0], num_classes)}; "
            f"it returned {gradelib.describe(scores)}"
        )
    return {"pred": scores.argmax(axis=1).astype(np.int64), "history": log.history()}


def _predicted(arguments):
    """The labels convnet_loss(params, X, y)'s params predict for its batch: argmax of the submitted scores."""
    params, X = arguments[:2]
    return np.argmax(np.asarray(cnn.convnet_scores(params, X)), axis=1)
