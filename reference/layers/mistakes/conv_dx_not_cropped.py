# dx is returned as the whole padded buffer, (N, C, H + 2 pad, W + 2 pad).


def conv_backward(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    N, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = _windows(xp, HH, WW, stride)
    dw = np.einsum("nfhw,nchwij->fcij", dout, cols)
    dxp = np.zeros_like(xp)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += np.einsum(
                "nfhw,fc->nchw", dout, w[:, :, i, j]
            )
    return dxp, dw, dout.sum(axis=(0, 2, 3))
