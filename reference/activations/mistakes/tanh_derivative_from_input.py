# tanh's derivative 1 - t**2 evaluated at the pre-activation x instead of the output t.


def tanh_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return np.tanh(x), x


def tanh_backward(dout, cache):
    x = cache
    return dout * (1.0 - x * x)
