"""One vanilla RNN step of rnn_step.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def rnn_step(
    x: Float[np.ndarray, "N D"],
    prev_h: Float[np.ndarray, "N H"],
    Wx: Float[np.ndarray, "D H"],
    Wh: Float[np.ndarray, "H H"],
    b: Float[np.ndarray, "H"],
):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h
