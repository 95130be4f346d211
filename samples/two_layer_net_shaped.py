"""The two-layer net of two_layer_net.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float, Int


def two_layer_loss(
    W1: Float[np.ndarray, "D H"],
    b1: Float[np.ndarray, "H"],
    W2: Float[np.ndarray, "H C"],
    b2: Float[np.ndarray, "C"],
    X: Float[np.ndarray, "N D"],
    y: Int[np.ndarray, "N"],
    reg: float,
):
    n = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    data_loss = -np.sum(log_probs[np.arange(n), y]) / n
    reg_loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return data_loss + reg_loss
