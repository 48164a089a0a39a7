# BCE from log(sigmoid(z)) and log(1 - sigmoid(z)): log(0) for large |z|.


def _bce(z, y):
    p = _sigmoid(z)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return float(loss), (p - y) / z.shape[0]
