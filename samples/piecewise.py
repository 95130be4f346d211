"""A piecewise scalar function: the backward takes the branch the forward took."""

import math


def piecewise(x, y):
    s = x * y
    if s > 1.0:
        z = math.log(s)
    elif s > 0.0:
        z = s - 1.0
    else:
        z = math.expm1(s) - s * y
    return z * x
