import numpy as np


def f(x):
    return x * np.not_a_constant
