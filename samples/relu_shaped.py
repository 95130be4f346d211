"""ReLU of relu.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def relu(x: Float[np.ndarray, "N D"]):
    return np.maximum(0, x)
