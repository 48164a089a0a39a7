"""Independent solution, fast-layers style: convolution through im2col / col2im
index arrays (as in CS231n's im2col.py), max pooling through im2col as well, and
batch norm's backward with the simplified closed form (batchnorm_backward_alt)."""

import numpy as np


def affine_forward(x, w, b):
    X = np.reshape(x, (len(x), -1))
    return X @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return np.reshape(dout @ w.T, x.shape), np.reshape(x, (len(x), -1)).T @ dout, dout.sum(axis=0)


def dropout_forward(x, p_keep, mask, mode="train"):
    scale = mask / p_keep if mode == "train" else np.ones_like(x)
    return x * scale, scale


def dropout_backward(dout, cache):
    return dout * cache


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, m = bn_param["eps"], bn_param["momentum"]
    if bn_param["mode"] == "test":
        return gamma * (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps) + beta, None
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    bn_param["running_mean"] = m * bn_param["running_mean"] + (1 - m) * mu
    bn_param["running_var"] = m * bn_param["running_var"] + (1 - m) * var
    return gamma * xhat + beta, (xhat, gamma, inv_std)


def batchnorm_backward(dout, cache):
    xhat, gamma, inv_std = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * inv_std / N) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def _im2col_indices(C, H, W, hh, ww, pad, stride):
    Ho = (H + 2 * pad - hh) // stride + 1
    Wo = (W + 2 * pad - ww) // stride + 1
    i0 = np.tile(np.repeat(np.arange(hh), ww), C)
    i1 = stride * np.repeat(np.arange(Ho), Wo)
    j0 = np.tile(np.arange(ww), hh * C)
    j1 = stride * np.tile(np.arange(Wo), Ho)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), hh * ww).reshape(-1, 1)
    return k, i, j, Ho, Wo


def _im2col(x, hh, ww, pad, stride):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k, i, j, Ho, Wo = _im2col_indices(C, H, W, hh, ww, pad, stride)
    cols = xp[:, k, i, j]  # (N, C*hh*ww, Ho*Wo)
    return cols.transpose(1, 2, 0).reshape(C * hh * ww, -1), Ho, Wo


def _col2im(cols, shape, hh, ww, pad, stride):
    N, C, H, W = shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    k, i, j, _, _ = _im2col_indices(C, H, W, hh, ww, pad, stride)
    reshaped = cols.reshape(C * hh * ww, -1, N).transpose(2, 0, 1)
    np.add.at(xp, (slice(None), k, i, j), reshaped)
    return xp[:, :, pad : pad + H, pad : pad + W]


def conv_forward(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    F, C, hh, ww = w.shape
    cols, Ho, Wo = _im2col(x, hh, ww, p, s)
    out = (w.reshape(F, -1) @ cols + b[:, None]).reshape(F, Ho, Wo, x.shape[0]).transpose(3, 0, 1, 2)
    return out, (x.shape, w, cols, conv_param)


def conv_backward(dout, cache):
    shape, w, cols, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    F, C, hh, ww = w.shape
    d = dout.transpose(1, 2, 3, 0).reshape(F, -1)
    dw = (d @ cols.T).reshape(w.shape)
    dx = _col2im(w.reshape(F, -1).T @ d, shape, hh, ww, p, s)
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    cols, Ho, Wo = _im2col(x.reshape(N * C, 1, H, W), ph, pw, 0, s)
    arg = np.argmax(cols, axis=0)
    out = cols[arg, np.arange(cols.shape[1])].reshape(Ho, Wo, N, C).transpose(2, 3, 0, 1)
    return out, (x.shape, cols.shape, arg, pool_param)


def max_pool_backward(dout, cache):
    shape, cols_shape, arg, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = shape
    dcols = np.zeros(cols_shape)
    dcols[arg, np.arange(cols_shape[1])] = dout.transpose(2, 3, 0, 1).ravel()
    return _col2im(dcols, (N * C, 1, H, W), ph, pw, 0, s).reshape(shape)
