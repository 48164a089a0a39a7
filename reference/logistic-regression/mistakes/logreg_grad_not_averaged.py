# dw and db summed over the batch instead of averaged.


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    loss, dz = _bce(X @ w + float(b), y)
    loss += reg * np.sum(w * w)
    return float(loss), X.T @ (dz * n) + 2.0 * reg * w, float(np.sum(dz * n))
