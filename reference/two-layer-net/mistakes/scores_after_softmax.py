# two_layer_scores returns softmax probabilities instead of the output pre-activation.


def two_layer_scores(params, X):
    params = _as_float(params)
    X = np.asarray(X, dtype=np.float64)
    s = _forward(params, X)[2]
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
