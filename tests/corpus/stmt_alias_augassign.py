import numpy as np


def f(x):
    y = x
    y += 1.0
    return x * y
