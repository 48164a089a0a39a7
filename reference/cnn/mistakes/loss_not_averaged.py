# The cross-entropy is summed over the batch instead of averaged (no 1/N), in the loss and its gradient.


def _softmax_loss(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(logp)
    dscores[np.arange(N), y] -= 1.0
    return -logp[np.arange(N), y].sum(), dscores
