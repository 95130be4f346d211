import math


def f(x, y):
    return x and y
