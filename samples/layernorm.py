"""Layer normalisation: normalise each example over its features."""

import numpy as np


def layernorm(x, gamma, beta):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xhat + beta
