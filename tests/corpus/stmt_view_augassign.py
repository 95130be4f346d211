import numpy as np


def f(x):
    h = x * 2.0
    v = h.T
    h += 1.0
    return v * h
