# BCE computed from the probabilities p = sigmoid(z): log(1 - p) is log(0) = -inf once p rounds to 1.


def classification_net_loss(params, X, y):
    W1, b1, W2, b2 = _params(params)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    a = X @ W1 + b1
    h = _act_forward(a, "tanh")
    z = (h @ W2 + b2)[:, 0]
    p = _sigmoid(z)
    loss = float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))
    dz = ((p - y) / n)[:, None]
    da = _act_backward(dz @ W2.T, a, h, "tanh")
    return loss, {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": h.T @ dz, "b2": dz.sum(axis=0)}
