import math


def f(x):
    return complex(x, 1.0)
