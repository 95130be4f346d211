import numpy as np


def f(x):
    y = [x, x]
    return y
