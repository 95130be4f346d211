import numpy as np


def f(x):
    cache = x * 2.0
    dout = cache + 1.0
    return cache, dout
