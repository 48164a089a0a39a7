# dscores not divided by N.


def svm_loss(scores, y, delta=1.0):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    loss, d = _svm(scores, y, float(delta))
    return loss, d * scores.shape[0]
