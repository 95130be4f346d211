import numpy as np


def g(t):
    return t * t


def f(x):
    return g(x) * 2.0
