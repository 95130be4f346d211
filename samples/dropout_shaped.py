"""Inverted dropout of dropout.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def dropout(x: Float[np.ndarray, "N D"], mask: Float[np.ndarray, "N D"], p: float):
    return x * mask / p
