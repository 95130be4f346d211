import math


def f(x):
    return math.gamma(x)
