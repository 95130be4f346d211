import math


def f(x, y):
    z = x * \
        y + math.exp(
            x
        )
    return z
