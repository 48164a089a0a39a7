# The gradient is assigned (dx[...] = ...) instead of added, so where windows overlap
# an element that is the maximum of two windows keeps only one window's gradient.


def max_pool_backward(dout, cache):
    shape, arg, pool_param = cache
    pw, stride = pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = dout.shape[2:]
    dx = np.zeros(shape)
    for n in range(shape[0]):
        for c in range(shape[1]):
            for h in range(Ho):
                for w in range(Wo):
                    i, j = divmod(int(arg[n, c, h, w]), pw)
                    dx[n, c, h * stride + i, w * stride + j] = dout[n, c, h, w]
    return dx
