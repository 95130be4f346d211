import numpy as np


def f(x):
    numpy = x + 1.0
    np_ = numpy * x
    return np.sum(numpy * np_)
