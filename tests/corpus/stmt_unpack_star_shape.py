import numpy as np


def f(x):
    n, *rest, _ = x.shape
    return x.reshape(n, -1) * len(rest)
