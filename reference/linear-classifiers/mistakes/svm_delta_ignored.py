# delta hard-wired to 1.


def svm_loss(scores, y, delta=1.0):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    return _svm(scores, y, 1.0)
