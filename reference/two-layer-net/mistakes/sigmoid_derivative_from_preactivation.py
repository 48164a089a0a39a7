# sigmoid'(a) computed as a * (1 - a) from the pre-activation instead of h * (1 - h).


def _sigmoid_grad(dh, a, h):
    return dh * a * (1.0 - a)
