import numpy as np


def f(x):
    return x * np.random.randn(3)
