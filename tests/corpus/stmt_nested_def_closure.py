import numpy as np


def f(x):
    s = x * 2.0
    def g(t):
        return t * s
    return g(x)
