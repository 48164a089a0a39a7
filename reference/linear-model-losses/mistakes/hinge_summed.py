# The hinge loss and its gradient summed over the batch instead of averaged.


def hinge_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = y * z
    return float(np.maximum(0.0, 1.0 - m).sum()), -y * (m < 1.0)
