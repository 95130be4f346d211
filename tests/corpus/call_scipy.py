from scipy.special import expit


def f(x):
    return expit(x)
