import numpy as np


def f(x, cache, dout, saved, grad_out):
    return np.sum(x * cache + dout * saved - grad_out * x)
