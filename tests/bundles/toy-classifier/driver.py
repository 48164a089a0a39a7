import clf
import gradelib
import numpy as np


def softmax_loss(case):
    scores, y = case["scores"], case["y"]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dscores = gradelib.expect_tuple(clf.softmax_loss(scores, y), 2, "softmax_loss")
    result = {"loss": loss, "dscores": dscores}
    if scores.size <= 64 and np.abs(scores).max() < 50:
        result["@numgrad"] = {"dscores": gradelib.numeric_gradient(lambda: clf.softmax_loss(scores, y)[0], scores)}
    return result


def train(case):
    W, history = gradelib.expect_tuple(clf.train(case["X_train"], case["y_train"], 3), 2, "train")
    W = np.asarray(W, dtype=np.float64)
    return {"pred": np.argmax(case["X_test"] @ W, axis=1), "history": list(history)}
