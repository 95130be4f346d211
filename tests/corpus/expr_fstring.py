import numpy as np


def f(x):
    s = f'{x}'
    return x
