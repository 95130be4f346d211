import numpy as np


def f(x):
    return x * (1.0 in x)
