# tanh's derivative 1 - t**2 evaluated at the pre-activation a instead of the output t = tanh(a).
# Both networks use tanh, so this breaks the classification net as well.

_correct_act_backward = _act_backward


def _act_backward(dh, a, h, activation):
    if activation == "tanh":
        return dh * (1.0 - a * a)
    return _correct_act_backward(dh, a, h, activation)
