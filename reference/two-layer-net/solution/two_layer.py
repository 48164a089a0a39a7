"""Two-layer network with a sigmoid hidden layer (reference solution).

    a = X @ W1 + b1,  h = sigmoid(a),  scores = h @ W2 + b2
output="softmax": mean softmax cross-entropy against int labels y (N,);
output="sigmoid": C = 1, mean BCE of scores[:, 0] against y in {0, 1}.
L2 = reg * (sum(W1**2) + sum(W2**2)), biases not penalised.
"""

import numpy as np

KEYS = ("W1", "b1", "W2", "b2")


def _sigmoid(a):
    """1 / (1 + exp(-a)) computing only exp(-|a|), so nothing overflows."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _forward(params, X):
    a = X @ params["W1"] + params["b1"]
    h = _sigmoid(a)
    return a, h, h @ params["W2"] + params["b2"]


def _softmax_ce(scores, y):
    """Mean softmax cross-entropy over the rows and its gradient (row max subtracted first)."""
    n = scores.shape[0]
    rows = np.arange(n)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() / n
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(loss), dscores / n


def _bce(z, y):
    """Mean BCE of logits z (N,) against 0/1 labels, stable for any |z|, and its gradient."""
    n = z.shape[0]
    loss = np.sum(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))) / n
    return float(loss), (_sigmoid(z) - y) / n


def _sigmoid_grad(dh, a, h):
    """Backward through h = sigmoid(a): dh * h * (1 - h), from the sigmoid's OUTPUT h."""
    return dh * h * (1.0 - h)


def _l2(params, reg):
    """reg * sum(W**2) over the weight matrices, and its gradients."""
    penalty = reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return float(penalty), {"W1": 2.0 * reg * params["W1"], "W2": 2.0 * reg * params["W2"]}


def _backward(params, X, a, h, dscores):
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0)
    da = _sigmoid_grad(dscores @ params["W2"].T, a, h)
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _as_float(params):
    return {k: np.asarray(params[k], dtype=np.float64) for k in KEYS}


def two_layer_scores(params, X):
    params = _as_float(params)
    X = np.asarray(X, dtype=np.float64)
    return _forward(params, X)[2]


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    params = _as_float(params)
    X = np.asarray(X, dtype=np.float64)
    a, h, scores = _forward(params, X)
    if output == "softmax":
        loss, dscores = _softmax_ce(scores, np.asarray(y, dtype=np.int64))
    elif output == "sigmoid":
        loss, dz = _bce(scores[:, 0], np.asarray(y, dtype=np.float64))
        dscores = dz[:, None]
    else:
        raise ValueError(f"output must be 'softmax' or 'sigmoid', not {output!r}")
    grads = _backward(params, X, a, h, dscores)
    penalty, dpen = _l2(params, reg)
    grads["W1"] = grads["W1"] + dpen["W1"]
    grads["W2"] = grads["W2"] + dpen["W2"]
    return loss + penalty, grads


def train_two_layer(X, y, num_classes):
    """Minibatch SGD with momentum: 64 hidden units, batches of 32, 15 epochs."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n, d = X.shape
    hidden, lr, momentum, reg, epochs, batch = 64, 0.1, 0.9, 1e-4, 15, 32
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((d, hidden)) / np.sqrt(d),
        "b1": np.zeros(hidden),
        "W2": rng.standard_normal((hidden, num_classes)) / np.sqrt(hidden),
        "b2": np.zeros(num_classes),
    }
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            _, grads = two_layer_loss(params, X[idx], y[idx], reg=reg)
            for k in KEYS:
                velocity[k] = momentum * velocity[k] - lr * grads[k]
                params[k] += velocity[k]
    return params
