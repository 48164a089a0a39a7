"""Independent solution built on as_strided window views and einsum: the input
gradient of the convolution is computed as a *full* correlation of the stride-dilated,
padded upstream gradient with the flipped kernel (the transposed convolution), then
cropped; batch norm keeps the centred input and works from it; max pooling keeps a
one-hot mask of each window's maximum."""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _windows(a, kh, kw, stride):
    """(N, C, H, W) -> view (N, C, Ho, Wo, kh, kw)."""
    N, C, H, W = a.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    sn, sc, sh, sw = a.strides
    return as_strided(a, (N, C, Ho, Wo, kh, kw), (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def affine_forward(x, w, b):
    flat = x.reshape(x.shape[0], np.prod(x.shape[1:], dtype=int))
    return np.einsum("nd,dm->nm", flat, w) + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    flat = x.reshape(x.shape[0], -1)
    return np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", flat, dout), dout.sum(0)


def dropout_forward(x, p_keep, mask, mode="train"):
    if mode != "train":
        return x.copy(), None
    keep = mask.astype(x.dtype) * (1.0 / p_keep)
    return x * keep, keep


def dropout_backward(dout, cache):
    return dout.copy() if cache is None else dout * cache


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param["eps"]
    if bn_param["mode"] == "train":
        n = x.shape[0]
        mu = x.sum(axis=0) / n
        xc = x - mu
        var = np.einsum("nd,nd->d", xc, xc) / n
        std = np.sqrt(var + eps)
        m = bn_param["momentum"]
        bn_param["running_mean"] = bn_param["running_mean"] * m + mu * (1 - m)
        bn_param["running_var"] = bn_param["running_var"] * m + var * (1 - m)
        return gamma * xc / std + beta, (xc, std, gamma)
    xhat = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    xc, std, gamma = cache
    n = xc.shape[0]
    xhat = xc / std
    dxhat = dout * gamma
    # d/dx of (x - mu)/std through mu and through var, written with the centred input.
    dvar = np.sum(dxhat * xc, axis=0) * -0.5 * std**-3
    dmu = -np.sum(dxhat, axis=0) / std - 2.0 * dvar * np.mean(xc, axis=0)
    dx = dxhat / std + dvar * 2.0 * xc / n + dmu / n
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def conv_forward(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = _windows(xp, w.shape[2], w.shape[3], s)
    return np.einsum("nchwij,fcij->nfhw", win, w) + b.reshape(1, -1, 1, 1), (x, w, conv_param)


def conv_backward(dout, cache):
    x, w, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dw = np.einsum("nfhw,nchwij->fcij", dout, _windows(xp, kh, kw, s))
    # Dilate dout by the stride, pad by kernel-1 on every side, and correlate with the flipped kernel.
    Ho, Wo = dout.shape[2:]
    dil = np.zeros((N, F, (Ho - 1) * s + 1, (Wo - 1) * s + 1))
    dil[:, :, ::s, ::s] = dout
    Hp, Wp = H + 2 * p, W + 2 * p
    extra_h = Hp - ((Ho - 1) * s + kh)  # rows of the padded input no window reached
    extra_w = Wp - ((Wo - 1) * s + kw)
    full = np.pad(dil, ((0, 0), (0, 0), (kh - 1, kh - 1 + extra_h), (kw - 1, kw - 1 + extra_w)))
    dxp = np.einsum("nfhwij,fcij->nchw", _windows(full, kh, kw, 1), w[:, :, ::-1, ::-1])
    return dxp[:, :, p : p + H, p : p + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    win = _windows(x, ph, pw, s)
    out = win.max(axis=(4, 5))
    onehot = win == out[..., None, None]
    return out, (x.shape, onehot, pool_param)


def max_pool_backward(dout, cache):
    shape, onehot, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape)
    Ho, Wo = dout.shape[2:]
    contrib = onehot * dout[..., None, None]
    for a in range(ph):
        for e in range(pw):
            dx[:, :, a : a + s * (Ho - 1) + 1 : s, e : e + s * (Wo - 1) + 1 : s] += contrib[..., a, e]
    return dx
