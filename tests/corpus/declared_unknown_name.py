import math

import bpgen


@bpgen.gradient_of(math.erf)
def erf_grad(g, out, x):
    return g * 2 / math.sqrt(math.pi) * math.exp(-z * z)


def f(x):
    return math.erf(x)
