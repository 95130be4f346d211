import numpy as np


def f(x):
    y = x * 2.0
    y.T[0] = 0.0
    return y
