# Only the j != y_i entries of the gradient: the true-class column stays 0.


def svm_loss(scores, y, delta=1.0):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    loss, d = _svm(scores, y, float(delta))
    d = d.copy()
    d[np.arange(scores.shape[0]), y] = 0.0
    return loss, d
