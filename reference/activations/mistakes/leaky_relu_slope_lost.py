# LeakyReLU's backward uses ReLU's mask: the slope alpha on the negative side is lost.


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * (x > 0)
