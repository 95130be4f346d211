import numpy as np


def f(x):
    y = x * 2.0
    z = y + 1.0
    return z +
