# The biases are regularised too.

_weights_only_loss = convnet_loss


def convnet_loss(params, X, y, reg=0.0):
    loss, grads = _weights_only_loss(params, X, y, reg)
    for k in ("b1", "b2", "b3"):
        loss += reg * float(np.sum(params[k] ** 2))
        grads[k] = grads[k] + 2.0 * reg * params[k]
    return loss, grads
