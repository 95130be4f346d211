import numpy as np


def f(x):
    (a, b), c = (x, x), x
    return a * b * c
