"""The seed's other gates: reciprocal, add constant, exp and scale."""

import math

C = 2.5


def reciprocal(x):
    return 1.0 / x


def add_constant(x):
    return C + x


def exponential(x):
    return math.exp(x)


def scale(a, x):
    return a * x
