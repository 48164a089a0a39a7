# The mask (and the 1/p_keep) is applied in test mode too.


def dropout_forward(x, p_keep, mask, mode="train"):
    return x * mask / p_keep, (p_keep, mask, mode)


def dropout_backward(dout, cache):
    p_keep, mask, mode = cache
    return dout * mask / p_keep
