# dz of the sigmoid output not divided by N.
_reference_bce = _bce


def _bce(z, y):
    loss, dz = _reference_bce(z, y)
    return loss, dz * z.shape[0]
