"""A vanilla RNN over three time steps (CS231n's rnn_forward, T fixed): unrolled."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def rnn3(
    x: Float[np.ndarray, "N 3 D"],
    h0: Float[np.ndarray, "N H"],
    Wx: Float[np.ndarray, "D H"],
    Wh: Float[np.ndarray, "H H"],
    b: Float[np.ndarray, "H"],
):
    h = h0
    for t in range(3):
        h = np.tanh(x[:, t, :] @ Wx + h @ Wh + b)
    return h
