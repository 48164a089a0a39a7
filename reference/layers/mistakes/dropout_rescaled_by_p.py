# The kept activations are multiplied by p_keep instead of divided by it.


def dropout_forward(x, p_keep, mask, mode="train"):
    out = x * mask * p_keep if mode == "train" else x.copy()
    return out, (p_keep, mask, mode)


def dropout_backward(dout, cache):
    p_keep, mask, mode = cache
    return dout * mask * p_keep if mode == "train" else dout.copy()
