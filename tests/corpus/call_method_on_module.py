import numpy as np


def f(x):
    return np.exp.at(x)
