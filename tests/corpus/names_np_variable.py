import math


def f(x):
    np = x * 2.0
    return math.exp(np) * np
