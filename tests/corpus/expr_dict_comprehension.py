import numpy as np


def f(x):
    d = {k: x for k in 'ab'}
    return x
