# The penalty is in the loss but its gradient 2 * reg * w is missing from dw.


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    loss, dz = _bce(X @ w + float(b), y)
    loss += reg * np.sum(w * w)
    return float(loss), X.T @ dz, float(np.sum(dz))
