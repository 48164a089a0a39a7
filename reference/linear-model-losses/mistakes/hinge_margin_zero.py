# The hinge with margin 0 instead of 1: max(0, -y z), which is the perceptron loss.


def hinge_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    return float(np.maximum(0.0, -m).sum() / n), -y * (m < 0.0) / n
