import numpy as np


def f(x, y):
    d_x = x * y
    grad_x = d_x + x
    dout_1 = grad_x * y
    dy = dout_1 * 2.0
    return np.sum(dy * d_x)
