import numpy as np


def f(x):
    out = x
    out[out < 0] = 0.0
    return out
