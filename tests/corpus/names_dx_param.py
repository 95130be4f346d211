import math


def f(x, dx):
    return x * dx + math.exp(x)
