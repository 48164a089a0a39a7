# Bias gradients averaged over the batch instead of summed (the 1/(N*K) is already in dout).


def regression_net_loss(params, X, Y, activation="relu"):
    W1, b1, W2, b2 = _params(params)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    a = X @ W1 + b1
    h = _act_forward(a, activation)
    diff = h @ W2 + b2 - Y
    loss = float(np.mean(diff * diff))
    dout = 2.0 * diff / diff.size
    da = _act_backward(dout @ W2.T, a, h, activation)
    return loss, {"W1": X.T @ da, "b1": da.mean(axis=0), "W2": h.T @ dout, "b2": dout.mean(axis=0)}
