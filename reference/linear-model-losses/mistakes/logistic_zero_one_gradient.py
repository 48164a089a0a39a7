# The logistic gradient written for labels in {0, 1}: (sigmoid(z) - y) / N.


def logistic_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    loss = np.logaddexp(0.0, -y * z).sum() / n
    return float(loss), (_sigmoid(z) - y) / n
