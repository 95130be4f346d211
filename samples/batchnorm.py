"""Batch normalisation, training mode, staged the CS231n way."""

import numpy as np


def batchnorm(x, gamma, beta):
    eps = 1e-5
    mu = np.mean(x, axis=0)
    xmu = x - mu
    var = np.mean(xmu**2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    return out
