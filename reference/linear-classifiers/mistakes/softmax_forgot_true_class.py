# dscores = P / N: the -1 at the true class is missing.


def softmax_loss(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    loss, d = _softmax_ce(scores, y)
    d = d.copy()
    d[np.arange(scores.shape[0]), y] += 1.0 / scores.shape[0]
    return loss, d
