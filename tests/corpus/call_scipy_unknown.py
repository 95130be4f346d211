from scipy.special import ndtri


def f(x):
    return ndtri(x)
