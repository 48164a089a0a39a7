# The bias penalised too: reg * b**2 in the loss, 2 * reg * b in db.


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    b = float(b)
    loss, dz = _bce(X @ w + b, y)
    loss += reg * (np.sum(w * w) + b * b)
    return float(loss), X.T @ dz + 2.0 * reg * w, float(np.sum(dz) + 2.0 * reg * b)
