"""The NumPy workloads' forward functions, written the plain way.

bpgen differentiates these as a user would hand them over: nested
expressions, `np.maximum` for ReLU, the softmax loss indexed with
`probs[np.arange(N), y]`. The scalar workloads are `samples/staged.py` and
`samples/neuron.py`.
"""

import numpy as np


def matmul(W, X):
    D = W.dot(X)
    return D


def two_layer(W1, b1, W2, b2, X, y, reg):
    N = X.shape[0]
    h = np.maximum(0, X.dot(W1) + b1)
    scores = h.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exps = np.exp(shifted)
    probs = exps / np.sum(exps, axis=1, keepdims=True)
    data_loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    reg_loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    loss = data_loss + reg_loss
    return loss


def batchnorm(x, gamma, beta, eps):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    out = gamma * xhat + beta
    return out
