import numpy as np
import scipy.special

import bpgen


@bpgen.gradient_of(scipy.special.xlogy)
def xlogy_grad(g, out, x, y):
    return g * np.log(y)


def f(x, y):
    return np.sum(scipy.special.xlogy(x, y))
