# LeakyReLU's backward uses ReLU's mask: the slope 0.01 on the negative side is lost.

_correct_act_backward = _act_backward


def _act_backward(dh, a, h, activation):
    if activation == "leaky_relu":
        return dh * (a > 0)
    return _correct_act_backward(dh, a, h, activation)
