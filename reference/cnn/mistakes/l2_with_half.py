# The penalty is 0.5 * reg * sum(W**2) (gradient reg * W) instead of reg * sum(W**2).


def _l2(params, reg):
    return 0.5 * reg * sum(float(np.sum(params[k] ** 2)) for k in ("W1", "W2", "W3"))


def _l2_grad(W, reg):
    return reg * W
