"""An LSTM over T time steps (CS231n's lstm_forward): the step is a helper
returning the next hidden and cell states, each hidden state is appended to
a list, and the list is stacked."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H])
    o = sigmoid(a[:, 2 * H : 3 * H])
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c


def lstm(x, h0, Wx, Wh, b):
    h = h0
    c = np.zeros_like(h0)
    hs = []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t, :], h, c, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)
