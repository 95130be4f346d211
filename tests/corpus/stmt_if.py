import numpy as np


def f(x):
    if x > 0:
        return x
    return -x
