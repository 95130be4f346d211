import numpy as np


def f(x):
    g = np.exp
    return x
