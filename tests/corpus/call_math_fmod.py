import math


def f(x):
    return math.fmod(x, 2.0)
