import math


dx = 0.5
cache = 2.0


def f(x):
    return math.exp(x * dx) * cache
