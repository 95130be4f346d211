import numpy as np


def f(x):
    y = x * 2.0
    y[1:] = 0.0
    return y
