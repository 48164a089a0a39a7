# The logistic loss from its textbook formula: exp(-y z) overflows when y z < -709.


def logistic_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    e = np.exp(-y * z)
    return float(np.log(1.0 + e).sum() / n), -y * e / (1.0 + e) / n
