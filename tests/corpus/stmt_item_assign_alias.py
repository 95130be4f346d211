import numpy as np


def f(x):
    y = x * 2.0
    z = y
    y[0] = 0.0
    return z * y
