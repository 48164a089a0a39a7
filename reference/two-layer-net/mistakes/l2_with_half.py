# L2 as 0.5 * reg * sum(W**2), gradient reg * W.


def _l2(params, reg):
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return float(penalty), {"W1": reg * params["W1"], "W2": reg * params["W2"]}
