# Plain dropout: the kept activations are not divided by p_keep.


def dropout_forward(x, p_keep, mask, mode="train"):
    out = x * mask if mode == "train" else x.copy()
    return out, (p_keep, mask, mode)


def dropout_backward(dout, cache):
    p_keep, mask, mode = cache
    return dout * mask if mode == "train" else dout.copy()
