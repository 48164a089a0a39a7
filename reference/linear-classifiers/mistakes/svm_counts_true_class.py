# The margin of j = y_i (always delta) is not zeroed: counted in the loss and the gradient.


def svm_loss(scores, y, delta=1.0):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + delta)
    loss = margins.sum() / n
    active = (margins > 0).astype(np.float64)
    active[rows, y] = -active.sum(axis=1)
    return float(loss), active / n
