import numpy as np


def f(x):
    return f(x * 0.5)
