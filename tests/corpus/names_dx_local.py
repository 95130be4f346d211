import math


def f(x, y):
    dx = x * y
    dy = dx * x
    return math.sin(dy) + dx
