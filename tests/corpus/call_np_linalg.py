import numpy as np


def f(x):
    return np.linalg.norm(x)
