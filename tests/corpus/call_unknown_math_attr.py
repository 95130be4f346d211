import math


def f(x):
    return x * math.tau2
