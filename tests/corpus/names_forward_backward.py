import numpy as np


def f(x):
    f_forward = x * 2.0
    f_backward = f_forward + 1.0
    return np.sum(f_backward * x)
