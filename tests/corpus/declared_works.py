import math

from bpgen import gradient_of


@gradient_of(math.erf)
def erf_grad(g, out, x):
    return g * 2 / math.sqrt(math.pi) * math.exp(-x * x)


def f(x):
    return math.erf(x) * x
