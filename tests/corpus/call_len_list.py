import numpy as np


def f(x):
    return x * len([1, 2])
