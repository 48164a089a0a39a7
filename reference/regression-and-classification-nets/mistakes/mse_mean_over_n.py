# MSE averaged over the batch N only, instead of over all N*K outputs.


def regression_net_loss(params, X, Y, activation="relu"):
    W1, b1, W2, b2 = _params(params)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = X.shape[0]
    a = X @ W1 + b1
    h = _act_forward(a, activation)
    diff = h @ W2 + b2 - Y
    loss = float(np.sum(diff * diff) / n)
    dout = 2.0 * diff / n
    da = _act_backward(dout @ W2.T, a, h, activation)
    return loss, {"W1": X.T @ da, "b1": da.sum(axis=0), "W2": h.T @ dout, "b2": dout.sum(axis=0)}
