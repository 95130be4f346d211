"""The multiclass SVM loss of svm_loss.py with declared shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float, Int


def svm_loss(scores: Float[np.ndarray, "N C"], y: Int[np.ndarray, "N"]):
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1.0)
    not_label = np.arange(scores.shape[1]) != y[:, np.newaxis]
    loss = np.sum(margins * not_label) / n
    return loss
