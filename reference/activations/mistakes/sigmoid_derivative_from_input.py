# Sigmoid's derivative s * (1 - s) evaluated at the pre-activation x instead of the output s.


def sigmoid_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return _sigmoid(x), x


def sigmoid_backward(dout, cache):
    x = cache
    return dout * x * (1.0 - x)
