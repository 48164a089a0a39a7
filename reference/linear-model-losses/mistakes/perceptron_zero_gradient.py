# The perceptron "never updates": its gradient is zero everywhere.


def perceptron_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    loss = np.maximum(0.0, -y * z).sum() / n
    return float(loss), np.zeros_like(z)
