# The pooled maps are flattened channels-last, (N, H/2, W/2, F), instead of in C order (N, F, H/2, W/2).


def _flatten(p):
    return p.transpose(0, 2, 3, 1).reshape(p.shape[0], -1)


def _unflatten(d, shape):
    N, F, Hp, Wp = shape
    return d.reshape(N, Hp, Wp, F).transpose(0, 3, 1, 2)
