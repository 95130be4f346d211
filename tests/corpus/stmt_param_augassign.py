import numpy as np


def f(x):
    x += 1.0
    return x * x
