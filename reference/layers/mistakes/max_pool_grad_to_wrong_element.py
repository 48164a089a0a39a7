# The argmax index within the window is unravelled with the wrong width (row and column swapped),
# so the gradient lands on the wrong element of each window.


def max_pool_backward(dout, cache):
    shape, arg, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = dout.shape[2:]
    dx = np.zeros(shape)
    for k in range(ph * pw):
        j, i = divmod(k, ph)
        i, j = min(i, ph - 1), min(j, pw - 1)
        dx[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dout * (arg == k)
    return dx
