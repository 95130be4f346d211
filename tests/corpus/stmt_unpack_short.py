import numpy as np


def f(x):
    a, b, c, *d = x, x
    return a * b
