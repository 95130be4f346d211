import math


def f(x):
    f = x * 2.0
    return f * math.exp(x)
