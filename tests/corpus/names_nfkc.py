import math


def f(ﬁ):
    return fi * math.exp(fi)
