import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size
