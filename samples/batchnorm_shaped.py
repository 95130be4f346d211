"""Batch normalisation of batchnorm.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def batchnorm(
    x: Float[np.ndarray, "N D"],
    gamma: Float[np.ndarray, "D"],
    beta: Float[np.ndarray, "D"],
):
    eps = 1e-5
    mu = np.mean(x, axis=0)
    xmu = x - mu
    var = np.mean(xmu**2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    return out
