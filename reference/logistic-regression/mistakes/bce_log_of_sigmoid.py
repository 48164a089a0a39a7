# The loss from log(sigmoid(z)) and log(1 - sigmoid(z)): log(0) for large |z|.


def bce_with_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    p = _sigmoid(z)
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return float(loss), (p - y) / z.shape[0]
