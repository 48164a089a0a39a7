# GELU's backward keeps only Phi(x): the product rule's second term x * phi(x) is missing.


def gelu_backward(dout, cache):
    x = cache
    return dout * _phi_cdf(x)
