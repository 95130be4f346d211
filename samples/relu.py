"""ReLU layer: max(0, x) elementwise."""

import numpy as np


def relu(x):
    return np.maximum(0, x)
