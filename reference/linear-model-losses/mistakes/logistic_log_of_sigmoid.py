# The loss as -log(sigmoid(y z)) with a stable sigmoid: nothing overflows, but for
# y z below about -745 the sigmoid underflows to 0 and the loss is -log(0) = +inf.


def logistic_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = z.shape[0]
    m = y * z
    loss = -np.log(_sigmoid(m)).sum() / n
    return float(loss), -y * _sigmoid(-m) / n
