import numpy as np


def f(x):
    d = {'a': x}
    return x
