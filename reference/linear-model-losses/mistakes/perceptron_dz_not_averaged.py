# The perceptron's loss is averaged but its gradient is not divided by N.


def perceptron_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = np.maximum(0.0, -m).sum() / n
    return float(loss), -y * (m < 0)
