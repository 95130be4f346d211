import numpy as np


def f(x):
    y = x
    def g():
        nonlocal y
        y = y * 2
    g()
    return y
