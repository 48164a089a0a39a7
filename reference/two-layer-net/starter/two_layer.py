"""A two-layer network with a sigmoid hidden layer.

    a = X @ W1 + b1        (N, H)   hidden pre-activation
    h = sigmoid(a)         (N, H)
    scores = h @ W2 + b2   (N, C)   output pre-activation

params is a dict with keys "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,), all float64.
Losses are MEANS over the batch; L2 = reg * (sum(W1**2) + sum(W2**2)) (no 1/2, no
biases), whose gradients are 2 * reg * W1 and 2 * reg * W2. The loss must not
overflow or warn for output scores as large as |s| = 1000.

Only NumPy and the Python standard library are available when grading.
Each function raises NotImplementedError until you write it.
"""

import numpy as np


def two_layer_scores(params, X):
    """Forward pass.

    params: dict W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); X: (N, D).
    Returns scores: (N, C) float64, the output layer's pre-activation h @ W2 + b2
    (no softmax, no sigmoid).
    """
    raise NotImplementedError("two_layer_scores is not implemented")


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    """Loss and gradients of the two-layer network.

    params: dict W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); X: (N, D); reg: L2 strength.
    output="softmax": y (N,) int64 class indices; loss = mean softmax cross-entropy.
    output="sigmoid": C = 1, y (N,) int64 in {0, 1}; loss = mean binary
        cross-entropy of sigmoid(scores[:, 0]) against y.
    In both cases loss also includes reg * (sum(W1**2) + sum(W2**2)).
    Returns (loss, grads): loss a float; grads a dict with keys "W1", "b1", "W2",
    "b2" holding the gradients of loss, each with the shape of its parameter.
    """
    raise NotImplementedError("two_layer_loss is not implemented")


def train_two_layer(X, y, num_classes):
    """Train the network (output="softmax") on the MNIST training split.

    X: (N, 784) float64 images, pixels scaled to [0, 1]; y: (N,) int64 labels;
    num_classes: C (10).
    Returns params: dict W1 (784, H), b1 (H,), W2 (H, C), b2 (C,), with H of your
    choice; the grader predicts argmax(two_layer_scores(params, X_test), axis=1).
    Use your own two_layer_loss and hyper-parameters; fix any random seed you use.
    """
    raise NotImplementedError("train_two_layer is not implemented")
