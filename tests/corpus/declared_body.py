import math

import bpgen


@bpgen.gradient_of(math.erf)
def erf_grad(g, out, x):
    slope = 2 / math.sqrt(math.pi) * math.exp(-x * x)
    return g * slope


def f(x):
    return math.erf(x)
