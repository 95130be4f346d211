"""The affine layer of affine.py with declared shapes (jaxtyping's spelling)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def affine(
    x: Float[np.ndarray, "N *rest"],
    w: Float[np.ndarray, "D M"],
    b: Float[np.ndarray, "M"],
):
    n = x.shape[0]
    x2d = x.reshape(n, -1)
    out = x2d.dot(w) + b
    return out
