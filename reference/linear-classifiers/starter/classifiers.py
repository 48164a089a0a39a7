"""Multiclass linear classifiers: softmax and multiclass SVM losses, and training on MNIST.

Conventions: float64 arrays, batch first, scores (N, C), labels y (N,) int64 in
0..C-1, losses are MEANS over the batch. A linear classifier has W (D, C) and
b (C,) and predicts argmax(X @ W + b, axis=1). If you regularise W, use
reg * sum(W**2) (gradient 2 * reg * W) and leave b alone.

Only NumPy and the Python standard library are available when grading.
Each function raises NotImplementedError until you write it.
"""

import numpy as np


def softmax_loss(scores, y):
    """Mean softmax cross-entropy.

    scores: (N, C) float64 class scores (logits), possibly in the hundreds;
    y: (N,) int64 true classes.
    Returns (loss, dscores):
        loss:    -mean_i log softmax(scores[i])[y[i]], a float, finite and without
                 overflow warnings even for scores of several hundreds;
        dscores: (N, C) gradient of loss with respect to scores,
                 (softmax(scores) - one_hot(y)) / N.
    """
    raise NotImplementedError("softmax_loss is not implemented")


def svm_loss(scores, y, delta=1.0):
    """Mean multiclass (Weston-Watkins) hinge loss.

    scores: (N, C) float64; y: (N,) int64 true classes; delta: the margin.
    Returns (loss, dscores):
        loss:    mean_i sum_{j != y_i} max(0, scores[i, j] - scores[i, y_i] + delta), a float;
        dscores: (N, C) gradient of loss with respect to scores.
    """
    raise NotImplementedError("svm_loss is not implemented")


def train_softmax(X, y, num_classes):
    """Train a softmax classifier.

    X: (N, D) float64 training images, pixels scaled to [0, 1]; y: (N,) int64
    labels; num_classes: C (10 for MNIST).
    Returns (W, b): W (D, C) and b (C,) float64; the grader predicts
    argmax(X_test @ W + b, axis=1). Use your own softmax_loss and hyper-parameters;
    fix any random seed you use.
    """
    raise NotImplementedError("train_softmax is not implemented")


def train_svm(X, y, num_classes):
    """Train a multiclass linear SVM.

    X: (N, D) float64 training images, pixels scaled to [0, 1]; y: (N,) int64
    labels; num_classes: C (10 for MNIST).
    Returns (W, b): W (D, C) and b (C,) float64; the grader predicts
    argmax(X_test @ W + b, axis=1). Use your own svm_loss and hyper-parameters;
    fix any random seed you use.
    """
    raise NotImplementedError("train_svm is not implemented")
