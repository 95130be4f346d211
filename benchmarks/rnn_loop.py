"""An RNN over T = 32 steps (batch 64, hidden 128): bpgen's composed loop
(samples/rnn.py) against a hand-written CS231n-style rnn_backward.

    PYTHONPATH=. python benchmarks/rnn_loop.py
"""

from __future__ import annotations

import timeit
from pathlib import Path

import numpy as np

import bpgen
from bpgen.check import load

N, T, D, H = 64, 32, 128, 128


def hand_forward(x, h0, Wx, Wh, b):
    h, hs, caches = h0, [], []
    for t in range(x.shape[1]):
        prev = h
        h = np.tanh(x[:, t, :] @ Wx + prev @ Wh + b)
        hs.append(h)
        caches.append((x[:, t, :], prev, h))
    return np.stack(hs, axis=1), (caches, Wx, Wh)


def hand_backward(dout, cache):
    caches, Wx, Wh = cache
    dx = np.empty((dout.shape[0], dout.shape[1], Wx.shape[0]))
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dh = np.zeros_like(dout[:, 0, :])
    for t in reversed(range(dout.shape[1])):
        x_t, prev, h = caches[t]
        da = (dh + dout[:, t, :]) * (1 - h**2)
        dx[:, t, :] = da @ Wx.T
        dWx += x_t.T @ da
        dWh += prev.T @ da
        db += da.sum(axis=0)
        dh = da @ Wh.T
    return dx, dh, dWx, dWh, db


def main() -> None:
    source = (Path(__file__).parent.parent / "samples" / "rnn.py").read_text()
    forward, backward = load(bpgen.generate(source, "rnn"), "rnn")
    rng = np.random.default_rng(0)
    args = [
        rng.standard_normal((N, T, D)),
        rng.standard_normal((N, H)),
        0.1 * rng.standard_normal((D, H)),
        0.1 * rng.standard_normal((H, H)),
        rng.standard_normal(H),
    ]
    out, cache = forward(*args)
    hand_out, hand_cache = hand_forward(*args)
    dout = rng.standard_normal(out.shape)
    pairs = zip(backward(dout, cache), hand_backward(dout, hand_cache), strict=True)
    for mine, theirs in pairs:
        assert np.allclose(mine, theirs)
    times = {}
    for name, run in (
        ("bpgen", lambda: backward(dout, forward(*args)[1])),
        ("hand-written", lambda: hand_backward(dout, hand_forward(*args)[1])),
    ):
        times[name] = min(timeit.repeat(run, number=5, repeat=5)) / 5
        print(f"{name:>12}: {times[name] * 1e3:8.2f} ms forward+backward")
    print(f"ratio bpgen / hand-written: {times['bpgen'] / times['hand-written']:.2f}")


if __name__ == "__main__":
    main()
