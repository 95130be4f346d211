"""A vanilla RNN over T time steps (CS231n's rnn_forward): the step is a
helper, each hidden state is appended to a list, and the list is stacked."""

import numpy as np


def step(x, prev_h, Wx, Wh, b):
    return np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)


def rnn(x, h0, Wx, Wh, b):
    h = h0
    hs = []
    for t in range(x.shape[1]):
        h = step(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)
