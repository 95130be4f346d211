import numpy as np


def f(x):
    y = x * 2.0
    x[0] = 0.0
    return y
