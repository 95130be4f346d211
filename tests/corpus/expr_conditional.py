import math


def f(x):
    return x if x > 0 else -x
