import numpy as np


def f(x):
    with np.errstate(all='ignore'):
        y = np.log(x)
    return y
