import numpy as np


def f(x):
    f = np
    return x
