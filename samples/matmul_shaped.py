"""The seed's matrix product of matmul.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def matmul(W: Float[np.ndarray, "M K"], X: Float[np.ndarray, "K N"]):
    D = W.dot(X)
    return D
