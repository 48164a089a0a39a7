# The unbiased variance (divide by N - 1) instead of the biased batch variance.


def _bn_stats(x):
    return x.mean(axis=0), x.var(axis=0, ddof=1)
