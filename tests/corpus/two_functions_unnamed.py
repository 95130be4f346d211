import math


def f(x):
    return math.exp(x)


def g(x):
    return x * x
