# The biases penalised too.
_reference_two_layer_loss = two_layer_loss


def two_layer_loss(params, X, y, reg=0.0, output="softmax"):
    loss, grads = _reference_two_layer_loss(params, X, y, reg=reg, output=output)
    b1 = np.asarray(params["b1"], dtype=np.float64)
    b2 = np.asarray(params["b2"], dtype=np.float64)
    loss = loss + reg * (np.sum(b1**2) + np.sum(b2**2))
    grads["b1"] = grads["b1"] + 2.0 * reg * b1
    grads["b2"] = grads["b2"] + 2.0 * reg * b2
    return loss, grads
