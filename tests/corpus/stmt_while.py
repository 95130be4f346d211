import numpy as np


def f(x):
    y = x
    while y < 10:
        y = y * 2.0
    return y
