# Probabilities normalised over the batch axis (axis=0).


def _softmax_ce(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    e = np.exp(scores - scores.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    loss = -np.log(p[rows, y]).sum() / n
    p[rows, y] -= 1.0
    return float(loss), p / n
