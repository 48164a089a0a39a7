"""Layers: forward and backward passes of affine, dropout, batch norm, convolution and max pooling.

Conventions (see the statement for the maths):
- Arrays are float64 NumPy arrays, batch first; images are (N, C, H, W).
- Every *_forward returns a tuple (out, cache). The cache is yours: it only goes
  back into your own *_backward(dout, cache), so store whatever you need.
- Every *_backward returns the gradients in the order documented below, each
  with the shape of the input it belongs to.
- Only NumPy and the Python standard library are available when grading.

Each function raises NotImplementedError until you write it.
"""

import numpy as np


def affine_forward(x, w, b):
    """Affine (fully connected) layer: out = x.reshape(N, D) @ w + b.

    x: (N, d1, ..., dk), flattened row by row to (N, D) with D = d1 * ... * dk.
    w: (D, M).  b: (M,).
    Returns (out, cache): out (N, M).
    """
    raise NotImplementedError("affine_forward is not implemented")


def affine_backward(dout, cache):
    """Gradients of the affine layer.

    dout: (N, M); cache: from affine_forward.
    Returns (dx, dw, db): dx of x's original shape (N, d1, ..., dk), dw (D, M), db (M,).
    """
    raise NotImplementedError("affine_backward is not implemented")


def dropout_forward(x, p_keep, mask, mode="train"):
    """Inverted dropout with an explicit mask.

    x: any shape.  p_keep: probability of KEEPING a unit (0 < p_keep <= 1).
    mask: boolean array of x's shape, True = keep.  mode: "train" or "test".
    train: out = x * mask / p_keep.   test: out = x (the mask is ignored).
    Returns (out, cache): out of x's shape.
    """
    raise NotImplementedError("dropout_forward is not implemented")


def dropout_backward(dout, cache):
    """Gradient of dropout.

    dout: x's shape; cache: from dropout_forward.
    Returns dx: dout * mask / p_keep in train mode, dout in test mode.
    """
    raise NotImplementedError("dropout_backward is not implemented")


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of x (N, D) over the batch axis.

    gamma, beta: (D,).
    bn_param: dict with keys
      "mode": "train" or "test";
      "eps": float (added to the variance inside the square root);
      "momentum": float;
      "running_mean", "running_var": (D,) arrays.
    train: normalise with the batch mean and the BIASED batch variance, then
      write the updated running statistics back into bn_param:
      bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * batch_mean
      bn_param["running_var"]  = momentum * running_var  + (1 - momentum) * batch_var
    test: normalise with running_mean and running_var (bn_param unchanged).
    Returns (out, cache): out (N, D).
    """
    raise NotImplementedError("batchnorm_forward is not implemented")


def batchnorm_backward(dout, cache):
    """Gradients of batch norm (for a train-mode forward pass).

    dout: (N, D); cache: from batchnorm_forward.
    Returns (dx, dgamma, dbeta): dx (N, D), dgamma (D,), dbeta (D,).
    """
    raise NotImplementedError("batchnorm_backward is not implemented")


def conv_forward(x, w, b, conv_param):
    """Convolution layer (cross-correlation, no kernel flip) with zero padding.

    x: (N, C, H, W).  w: (F, C, HH, WW).  b: (F,).
    conv_param: dict with keys "stride" and "pad" (ints).
    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*stride + p, j*stride + q] * w[f, c, p, q]
    Returns (out, cache): out (N, F, Ho, Wo),
      Ho = (H + 2*pad - HH) // stride + 1,  Wo = (W + 2*pad - WW) // stride + 1.
    """
    raise NotImplementedError("conv_forward is not implemented")


def conv_backward(dout, cache):
    """Gradients of the convolution layer.

    dout: (N, F, Ho, Wo); cache: from conv_forward.
    Returns (dx, dw, db): dx (N, C, H, W) (the unpadded input's shape),
      dw (F, C, HH, WW), db (F,).
    """
    raise NotImplementedError("conv_backward is not implemented")


def max_pool_forward(x, pool_param):
    """Max pooling over windows of each channel (no padding).

    x: (N, C, H, W).
    pool_param: dict with keys "pool_height", "pool_width", "stride" (ints).
    Returns (out, cache): out (N, C, Ho, Wo),
      Ho = (H - pool_height) // stride + 1,  Wo = (W - pool_width) // stride + 1.
    """
    raise NotImplementedError("max_pool_forward is not implemented")


def max_pool_backward(dout, cache):
    """Gradient of max pooling.

    dout: (N, C, Ho, Wo); cache: from max_pool_forward.
    Returns dx (N, C, H, W): each window's gradient goes to the position of that
    window's maximum (added up where windows overlap); every other entry is 0.
    """
    raise NotImplementedError("max_pool_backward is not implemented")
