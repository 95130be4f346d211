import numpy as np


def f(x):
    return g(x) * 2.0


def g(t):
    return f(t * 0.5)
