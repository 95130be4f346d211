"""The sigmoid layer of sigmoid_layer.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def sigmoid(x: Float[np.ndarray, "N D"]):
    return 1 / (1 + np.exp(-x))
