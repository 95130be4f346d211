"""The seed's matrix product D = W.dot(X): dW = dD.dot(X.T), dX = W.T.dot(dD)."""

import numpy as np


def matmul(W, X):
    D = W.dot(X)
    return D
