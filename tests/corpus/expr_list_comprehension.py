import numpy as np


def f(x):
    return np.sum([t * 2.0 for t in x])
