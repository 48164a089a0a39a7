# Adaline without the 1/2: mean((y - z)**2), gradient 2 (z - y) / N.


def adaline_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    diff = z - y
    return float(np.sum(diff * diff) / n), 2.0 * diff / n
