def relu_backward(dout, cache):
    return dout * (dout > 0)
