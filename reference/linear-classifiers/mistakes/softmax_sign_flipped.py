# dscores = (one_hot(y) - P) / N.


def softmax_loss(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    loss, d = _softmax_ce(scores, y)
    return loss, -d
