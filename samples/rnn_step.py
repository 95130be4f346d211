"""One step of a vanilla RNN: next_h = tanh(x Wx + prev_h Wh + b)."""

import numpy as np


def rnn_step(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h
