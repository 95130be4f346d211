import numpy as np


def f(x):
    math = x * 2.0
    return np.sum(np.exp(math) + math)
