import numpy as np


def f(x):
    y = x * 2.0
    y[0] = 1.0
    return y
