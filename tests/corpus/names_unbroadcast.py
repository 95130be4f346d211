import numpy as np


def f(x, y):
    _unbroadcast = x + y
    return _unbroadcast * y
