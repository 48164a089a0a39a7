# True convolution: the kernel is flipped, in the forward pass and (consistently) in its gradient.

_xcorr_forward = _conv_forward
_xcorr_backward_params = _conv_backward_params


def _conv_forward(x, w, b):
    return _xcorr_forward(x, w[:, :, ::-1, ::-1], b)


def _conv_backward_params(dout, cols):
    dw, db = _xcorr_backward_params(dout, cols)
    return dw[:, :, ::-1, ::-1].copy(), db
