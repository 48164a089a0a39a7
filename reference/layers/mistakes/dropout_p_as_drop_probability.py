# p_keep read as the probability of DROPPING a unit: rescaled by 1 / (1 - p_keep).


def dropout_forward(x, p_keep, mask, mode="train"):
    out = x * mask / (1.0 - p_keep) if mode == "train" else x.copy()
    return out, (p_keep, mask, mode)


def dropout_backward(dout, cache):
    p_keep, mask, mode = cache
    return dout * mask / (1.0 - p_keep) if mode == "train" else dout.copy()
