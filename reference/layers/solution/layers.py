"""Reference layers: affine, dropout, batch norm, convolution and max pooling.

float64 NumPy, vectorised. Every *_forward returns (out, cache); every
*_backward(dout, cache) returns the gradients in the documented order.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# ---------------------------------------------------------------- affine

def affine_forward(x, w, b):
    """out = x.reshape(N, D) @ w + b; x (N, d1, ..., dk), w (D, M), b (M,)."""
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Returns (dx of x's shape, dw (D, M), db (M,))."""
    x, w, b = cache
    xf = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = xf.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


# ---------------------------------------------------------------- dropout

def dropout_forward(x, p_keep, mask, mode="train"):
    """Inverted dropout: train -> x * mask / p_keep; test -> x."""
    if mode == "train":
        out = x * mask / p_keep
    else:
        out = x.copy()
    return out, (p_keep, mask, mode)


def dropout_backward(dout, cache):
    p_keep, mask, mode = cache
    if mode == "train":
        return dout * mask / p_keep
    return dout.copy()


# ---------------------------------------------------------------- batch norm

def _bn_stats(x):
    """Batch mean and biased batch variance per column."""
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return mu, var


def _bn_std(var, eps):
    return np.sqrt(var + eps)


def _bn_update(running, batch, momentum):
    return momentum * running + (1.0 - momentum) * batch


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm over the batch axis of x (N, D); see the statement for bn_param."""
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.ones(D))
    if mode == "train":
        mu, var = _bn_stats(x)
        std = _bn_std(var, eps)
        x_hat = (x - mu) / std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = _bn_update(running_mean, mu, momentum)
        bn_param["running_var"] = _bn_update(running_var, var, momentum)
        cache = (x, x_hat, gamma, std)
    elif mode == "test":
        x_hat = (x - running_mean) / _bn_std(running_var, eps)
        out = gamma * x_hat + beta
        cache = None
    else:
        raise ValueError(f"unknown batch-norm mode {mode!r}")
    return out, cache


def _bn_dx(dxhat, x_hat, std):
    """dx from dL/dx_hat: the direct path minus the mean path minus the variance path."""
    return (dxhat - dxhat.mean(axis=0) - x_hat * (dxhat * x_hat).mean(axis=0)) / std


def batchnorm_backward(dout, cache):
    """Returns (dx (N, D), dgamma (D,), dbeta (D,)) for a train-mode forward."""
    x, x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = _bn_dx(dout * gamma, x_hat, std)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- convolution

def _windows(xp, hh, ww, stride):
    """View of every (hh, ww) window of xp (N, C, Hp, Wp) at the given stride: (N, C, Ho, Wo, hh, ww)."""
    return sliding_window_view(xp, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def conv_forward(x, w, b, conv_param):
    """Cross-correlation: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, Ho, Wo)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = _windows(xp, HH, WW, stride)
    out = np.einsum("nchwij,fcij->nfhw", cols, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward(dout, cache):
    """Returns (dx (N, C, H, W), dw (F, C, HH, WW), db (F,))."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    N, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = _windows(xp, HH, WW, stride)
    dw = np.einsum("nfhw,nchwij->fcij", dout, cols, optimize=True)
    db = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros_like(xp)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += np.einsum(
                "nfhw,fc->nchw", dout, w[:, :, i, j], optimize=True
            )
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, db


# ---------------------------------------------------------------- max pooling

def max_pool_forward(x, pool_param):
    """Max over (pool_height, pool_width) windows at the given stride: x (N, C, H, W) -> (N, C, Ho, Wo)."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    win = _windows(x, ph, pw, stride)
    flat = win.reshape(*win.shape[:4], ph * pw)
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg, pool_param)


def max_pool_backward(dout, cache):
    """Routes each window's gradient to the position of its maximum (summed where windows overlap)."""
    shape, arg, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = dout.shape[2:]
    dx = np.zeros(shape)
    for k in range(ph * pw):
        i, j = divmod(k, pw)
        dx[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dout * (arg == k)
    return dx
