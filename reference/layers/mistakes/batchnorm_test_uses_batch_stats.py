# Test mode normalises with the batch's own mean and variance instead of the running statistics.

_train_forward = batchnorm_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    if bn_param["mode"] == "test":
        saved = dict(bn_param)
        saved["mode"] = "train"
        out, cache = _train_forward(x, gamma, beta, saved)
        return out, cache
    return _train_forward(x, gamma, beta, bn_param)
