# Adaline's gradient with the wrong sign: (y - z) / N.


def adaline_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    diff = z - y
    return float(0.5 * np.sum(diff * diff) / n), -diff / n
