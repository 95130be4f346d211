"""Layer normalisation of layernorm.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def layernorm(
    x: Float[np.ndarray, "N D"],
    gamma: Float[np.ndarray, "D"],
    beta: Float[np.ndarray, "D"],
):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xhat + beta
