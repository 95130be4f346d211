import math


def f(x):
    y = x * 2.0; z = math.sin(y); return z * y
