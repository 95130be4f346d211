import numpy as np


def f(x):
    d = dict(a=x, b=x * x)
    return d['c']
