import math


def f(x):
    abs = x * 2.0
    max = abs + 1.0
    return max * abs
