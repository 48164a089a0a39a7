# dx forgets the gradient that flows through the batch variance.


def batchnorm_backward(dout, cache):
    x, x_hat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0)) / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
