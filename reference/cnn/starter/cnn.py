"""A small convolutional network for 8x8 digits.

Architecture (fixed):
    conv (F filters, 3x3, stride 1, pad 1) -> ReLU -> 2x2 max pool (stride 2)
    -> affine -> ReLU -> affine -> softmax cross-entropy

params is a dict of float64 arrays:
    W1 (F, C, 3, 3), b1 (F,)             convolution
    W2 (F * H/2 * W/2, hidden), b2 (hidden,)   first affine layer, on the pooled maps
                                         flattened in C order: pooled.reshape(N, -1)
    W3 (hidden, K), b3 (K,)              second affine layer, K classes

Images X are (N, C, H, W) float64 with even H and W; labels y are (N,) int64 in 0..K-1.

You may submit your layers.py from the layers problem beside this file and
`import layers` here to reuse its functions. Only NumPy and the Python standard
library are available when grading.

Each function raises NotImplementedError until you write it.
"""

import numpy as np


def convnet_scores(params, X):
    """Class scores of the network (the input of the softmax).

    params: dict with W1, b1, W2, b2, W3, b3 (shapes above).
    X: (N, C, H, W).
    Returns scores, shape (N, K).
    """
    raise NotImplementedError("convnet_scores is not implemented")


def convnet_loss(params, X, y, reg=0.0):
    """Loss and gradients of the network.

    loss = mean over the N examples of the softmax cross-entropy
           + reg * (sum(W1**2) + sum(W2**2) + sum(W3**2))     (no 1/2; biases not regularised)
    params: dict as above.  X: (N, C, H, W).  y: (N,) int64.  reg: float.
    Returns (loss, grads): loss a float; grads a dict with the keys of params,
    each gradient with the shape of its parameter.
    """
    raise NotImplementedError("convnet_loss is not implemented")


def train_convnet(X, y, num_classes):
    """Train the network on the digits training split with your own hyper-parameters.

    X: (N, 1, 8, 8) float64, pixel values in [0, 1].  y: (N,) int64 in 0..num_classes-1.
    Returns params: the dict W1, b1, W2, b2, W3, b3 (any F and hidden size you like).
    The grader predicts argmax(convnet_scores(params, X_test), axis=1).
    """
    raise NotImplementedError("train_convnet is not implemented")
