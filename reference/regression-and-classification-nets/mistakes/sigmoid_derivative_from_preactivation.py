# The sigmoid's derivative s * (1 - s) evaluated at the pre-activation a instead of the output s.

_correct_act_backward = _act_backward


def _act_backward(dh, a, h, activation):
    if activation == "sigmoid":
        return dh * a * (1.0 - a)
    return _correct_act_backward(dh, a, h, activation)
