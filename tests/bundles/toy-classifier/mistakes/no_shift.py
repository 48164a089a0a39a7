def softmax_loss(scores, y):
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    n = scores.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    d = p.copy()
    d[np.arange(n), y] -= 1.0
    return float(loss), d / n
