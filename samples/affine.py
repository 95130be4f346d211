"""Affine layer: flatten each example, then x2d @ w + b."""

import numpy as np


def affine(x, w, b):
    n = x.shape[0]
    x2d = x.reshape(n, -1)
    out = x2d.dot(w) + b
    return out
