# Each window's gradient is copied to every element of the window instead of only its maximum.


def max_pool_backward(dout, cache):
    shape, arg, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = dout.shape[2:]
    dx = np.zeros(shape)
    for i in range(ph):
        for j in range(pw):
            dx[:, :, i : i + stride * Ho : stride, j : j + stride * Wo : stride] += dout
    return dx
