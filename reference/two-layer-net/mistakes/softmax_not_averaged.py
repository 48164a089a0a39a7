# dscores not divided by N.
_reference_softmax_ce = _softmax_ce


def _softmax_ce(scores, y):
    loss, d = _reference_softmax_ce(scores, y)
    return loss, d * scores.shape[0]
