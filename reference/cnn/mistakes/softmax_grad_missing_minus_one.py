# dscores = softmax / N: the -1 at the true class is forgotten.


def _softmax_loss(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[np.arange(N), y].mean(), np.exp(logp) / N
