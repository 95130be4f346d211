import numpy as np


def f(x):
    w = x * 2.0
    b = w.ravel()
    b += 1.0
    return np.sum(b * b) + np.sum(w)
