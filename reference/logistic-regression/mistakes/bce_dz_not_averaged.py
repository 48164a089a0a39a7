# The loss is a mean but dz is not divided by N.


def bce_with_logits(z, y):
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    loss, dz = _bce(z, y)
    return loss, dz * z.shape[0]
