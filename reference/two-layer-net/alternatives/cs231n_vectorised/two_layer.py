"""Independent solution in the CS231n TwoLayerNet.loss style (with a sigmoid hidden
layer): vectorised forward pass, textbook softmax probabilities and -log of the
true-class probability, the sigmoid output with a stable np.where sigmoid and BCE
from the logit; trained by minibatch SGD with learning-rate decay."""

import numpy as np


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def two_layer_scores(params, X):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    return _sigmoid(X.dot(W1) + b1).dot(W2) + b2


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    hidden = _sigmoid(X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    if output == "softmax":
        scores_shift = scores - np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores_shift)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
    else:
        z = scores[:, 0]
        data_loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
        dscores = ((_sigmoid(z) - y) / N)[:, None]
    loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    grads["W2"] = hidden.T.dot(dscores) + 2 * reg * W2
    grads["b2"] = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T) * hidden * (1 - hidden)
    grads["W1"] = X.T.dot(dhidden) + 2 * reg * W1
    grads["b1"] = np.sum(dhidden, axis=0)
    return loss, grads


def train_two_layer(X, y, num_classes):
    np.random.seed(0)
    D, H = X.shape[1], 100
    params = {
        "W1": 0.05 * np.random.randn(D, H),
        "b1": np.zeros(H),
        "W2": 0.05 * np.random.randn(H, num_classes),
        "b2": np.zeros(num_classes),
    }
    learning_rate = 1.0
    for it in range(900):
        idx = np.random.choice(X.shape[0], 100)
        _, grads = two_layer_loss(params, X[idx], y[idx], reg=1e-4)
        for k in params:
            params[k] -= learning_rate * grads[k]
        if it % 300 == 299:
            learning_rate *= 0.7
    return params
