"""Multiclass SVM (hinge) loss with integer labels y."""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1.0)
    not_label = np.arange(scores.shape[1]) != y[:, np.newaxis]
    loss = np.sum(margins * not_label) / n
    return loss
