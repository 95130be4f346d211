import math


def f(x): return math.exp(x) * x
