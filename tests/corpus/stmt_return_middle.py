import numpy as np


def f(x):
    y = x * 2.0
    return y
    z = y + 1.0
