import numpy as np


def f(权重, x):
    输出 = np.tanh(x @ 权重)
    return np.sum(输出)
