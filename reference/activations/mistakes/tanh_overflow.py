# tanh from its definition with exponentials: exp overflows for |x| > 709.


def tanh_forward(x):
    x = np.asarray(x, dtype=np.float64)
    ep, em = np.exp(x), np.exp(-x)
    out = (ep - em) / (ep + em)
    return out, out
