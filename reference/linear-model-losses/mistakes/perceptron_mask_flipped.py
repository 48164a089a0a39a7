# The perceptron's subgradient is taken on the correctly classified examples (y z > 0).


def perceptron_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = np.maximum(0.0, -m).sum() / n
    return float(loss), -y * (m > 0) / n
