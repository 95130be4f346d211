import numpy as np


def f(x, **kwargs):
    return x * 2.0
