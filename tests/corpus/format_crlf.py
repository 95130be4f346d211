import math


def f(x):
    y = math.exp(x)
    return y * x
