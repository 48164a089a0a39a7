# The textbook formula: np.exp(-z) overflows for z < -709.


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-z))
