import numpy as np


def f(x):
    y = x * 2.0
    y.shape = (4, 3)
    return y
