# dW1 = da.T @ X, shape (H, D).
_reference_backward = _backward


def _backward(params, X, a, h, dscores):
    grads = _reference_backward(params, X, a, h, dscores)
    grads["W1"] = grads["W1"].T
    return grads


_reference_l2 = _l2


def _l2(params, reg):
    penalty, d = _reference_l2(params, reg)
    return penalty, {"W1": d["W1"].T, "W2": d["W2"]}
