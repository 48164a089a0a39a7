# GELU's tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) instead of the exact erf form.

_C = math.sqrt(2.0 / math.pi)


def gelu_forward(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(_C * (x + 0.044715 * x**3))), x


def gelu_backward(dout, cache):
    x = cache
    t = np.tanh(_C * (x + 0.044715 * x**3))
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C * (1.0 + 3 * 0.044715 * x * x))
