# sqrt(var) + eps instead of sqrt(var + eps).


def _bn_std(var, eps):
    return np.sqrt(var) + eps
