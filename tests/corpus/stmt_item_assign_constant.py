import numpy as np

W = np.zeros(3)


def f(x):
    w = W
    w[0] = 1.0
    return w * x
