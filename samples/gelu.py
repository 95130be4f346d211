"""GELU and a Gaussian CDF: functions bpgen cannot see into (`erf`), with
their gradients declared once in the module (read statically; at run time
`bpgen.gradient_of` does nothing)."""

import math

import numpy as np
import scipy.special

import bpgen


@bpgen.gradient_of(scipy.special.erf)
def erf_grad(g, out, x):
    return g * 2 / math.sqrt(math.pi) * np.exp(-x * x)


@bpgen.gradient_of(math.erf)
def math_erf_grad(g, out, x):
    return g * 2 / math.sqrt(math.pi) * math.exp(-x * x)


def gelu(x):
    return 0.5 * x * (1 + scipy.special.erf(x / math.sqrt(2)))


def normal_cdf(x, mu, sigma):
    return 0.5 * (1 + math.erf((x - mu) / (sigma * math.sqrt(2))))
