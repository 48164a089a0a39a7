def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    return float(-logp[np.arange(n), y].mean()), np.exp(logp) / n
