import math

import bpgen


@bpgen.gradient_of(math.pi)
def pi_grad(g, out, x):
    return g


def f(x):
    return math.erf(x)
