import numpy as np


def f(x, y):
    t1 = x * 2.0
    t2 = t1 + 1.0
    t3 = np.exp(t2 * x + y)
    return t3 * t1
