# The penalty is in the loss, its gradient is not in dW1 / dW2.


def _l2(params, reg):
    penalty = reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return float(penalty), {"W1": np.zeros_like(params["W1"]), "W2": np.zeros_like(params["W2"])}
