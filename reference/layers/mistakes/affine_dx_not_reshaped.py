# dx left flattened as (N, D) instead of being reshaped back to x's shape.


def affine_backward(dout, cache):
    x, w, b = cache
    xf = x.reshape(x.shape[0], -1)
    return dout @ w.T, xf.T @ dout, dout.sum(axis=0)
