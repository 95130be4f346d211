import math


def f(x):
    return not x
