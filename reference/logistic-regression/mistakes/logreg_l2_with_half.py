# L2 as 0.5 * reg * sum(w**2), gradient reg * w.


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    loss, dz = _bce(X @ w + float(b), y)
    loss += 0.5 * reg * np.sum(w * w)
    return float(loss), X.T @ dz + reg * w, float(np.sum(dz))
