# The loss through log(sigmoid(z)) with the textbook sigmoid: overflow and log(0) for large |z|.


def logreg_loss_grad(w, b, X, y, reg=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    z = X @ w + float(b)
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + reg * np.sum(w * w)
    dz = (p - y) / n
    return float(loss), X.T @ dz + 2.0 * reg * w, float(np.sum(dz))
