# The logistic gradient with the wrong sign: +y sigmoid(-y z) / N.


def logistic_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    return float(np.logaddexp(0.0, -m).sum() / n), y * _sigmoid(-m) / n
