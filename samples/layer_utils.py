"""CS231n's layer_utils: small layers, a sandwich of them, and a two-layer net
built by calling them. bpgen follows each call into the helper."""

import numpy as np


def affine(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b


def relu(x):
    return np.maximum(0, x)


def affine_relu(x, w, b):
    a = affine(x, w, b)
    return relu(a)


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(log_probs[np.arange(n), y]) / n


def two_layer_loss(X, y, W1, b1, W2, b2, reg: float):
    hidden = affine_relu(X, W1, b1)
    scores = affine(hidden, W2, b2)
    data_loss = softmax_loss(scores, y)
    return data_loss + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
