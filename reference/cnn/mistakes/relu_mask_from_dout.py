# The backward ReLU masks are taken from the upstream gradient instead of the pre-activations.


def convnet_loss(params, X, y, reg=0.0):
    scores, (cols, c, arg, pshape, f, h, hr) = _forward(params, X)
    data_loss, dscores = _softmax_loss(scores, y)
    loss = data_loss + _l2(params, reg)
    grads = {"W3": hr.T @ dscores, "b3": dscores.sum(axis=0)}
    dhr = dscores @ params["W3"].T
    dh = dhr * (dhr > 0)
    grads["W2"] = f.T @ dh
    grads["b2"] = dh.sum(axis=0)
    dr = _pool_backward(_unflatten(dh @ params["W2"].T, pshape), arg)
    dc = dr * (dr > 0)
    grads["W1"], grads["b1"] = _conv_backward_params(dc, cols)
    for k in ("W1", "W2", "W3"):
        grads[k] = grads[k] + _l2_grad(params[k], reg)
    return float(loss), grads
