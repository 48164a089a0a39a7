# ReLU's backward masks with the upstream gradient dh instead of the pre-activation a.

_correct_act_backward = _act_backward


def _act_backward(dh, a, h, activation):
    if activation == "relu":
        return dh * (dh > 0)
    return _correct_act_backward(dh, a, h, activation)
